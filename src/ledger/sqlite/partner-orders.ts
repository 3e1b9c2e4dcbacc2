import { runNow } from '../plan.js';
import { submitPartnerOrder } from '../record-partner-order.js';
import type { PartnerOrderInput, PartnerOrderResult } from '../store.js';
import type { SqliteContext } from './context.js';

/** A partner's POSTed order and its idempotency key (src/ledger/record-partner-order.ts), in one unit. */
export class SqlitePartnerOrders {
  constructor(private readonly ctx: SqliteContext) {}

  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult> {
    return this.ctx.commits.run(() => runNow(submitPartnerOrder(this.ctx.rows, input, now)));
  }

  finishIdempotencyKey(
    partner: string,
    key: string,
    response: { statusCode: number; body: string } | undefined,
  ): Promise<void> {
    return this.ctx.commits.run(() => {
      if (response) this.ctx.sql.finishIdempotencyKey.run(response.statusCode, response.body, partner, key);
      else this.ctx.sql.dropIdempotencyKey.run(partner, key);
    });
  }
}
