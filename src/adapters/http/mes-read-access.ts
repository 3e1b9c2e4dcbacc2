import type { MiddlewareHandler } from 'hono';
import type { LedgerStore } from '../../ledger/index.js';
import type { PartnerEnv } from './partner-guard.js';
import { HttpProblem, NotFound } from './problems.js';

/** A partner reads the MES data of its own orders only (404 otherwise, as for any order); operators read all. */
export function ownOrdersOnly(ledger: LedgerStore): MiddlewareHandler<PartnerEnv> {
  return async (c, next) => {
    if (c.get('partner').role !== 'operator') {
      const order = await ledger.getOrder(c.req.param('orderId') ?? '');
      if (!order || order.partner !== c.get('partner').id) throw new NotFound();
    }
    await next();
  };
}

/** MES read routes (operator work lists) and the ops routes are for operators. */
export function operatorsOnly(what = 'MES read routes'): MiddlewareHandler<PartnerEnv> {
  return async (c, next) => {
    if (c.get('partner').role !== 'operator')
      throw new HttpProblem(403, 'forbidden', 'Forbidden', `${what} are for operator keys (role: operator).`);
    await next();
  };
}
