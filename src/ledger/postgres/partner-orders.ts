import { runAwaiting } from '../plan.js';
import { submitPartnerOrder } from '../record-partner-order.js';
import type { PartnerOrderInput, PartnerOrderResult } from '../store.js';
import type { PgContext } from './context.js';
import { pgRows } from './rows-port.js';
import { sql } from './statements.js';

/** A partner's POSTed order and its idempotency key (src/ledger/record-partner-order.ts), in one unit. */
export class PgPartnerOrders {
  constructor(private readonly ctx: PgContext) {}

  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult> {
    // The key is locked as an order is: the same key sent to two gateways at once, the second waits
    // for the first's commit and finds the key, instead of failing on its unique index.
    const keyLock = `idempotency-key:${input.partner}:${input.idempotencyKey}`;
    return this.ctx.commits.run({ orders: [input.orderId, keyLock] }, (tx) =>
      runAwaiting(submitPartnerOrder(pgRows(this.ctx, tx), input, now)),
    );
  }

  finishIdempotencyKey(
    partner: string,
    key: string,
    response: { statusCode: number; body: string } | undefined,
  ): Promise<void> {
    return this.ctx.commits.run({}, async (tx) => {
      if (response) tx.send(sql.finishIdempotencyKey, [response.statusCode, response.body, partner, key]);
      else tx.send(sql.dropIdempotencyKey, [partner, key]);
    });
  }
}
