import type { PartnerOrderInput, PartnerOrderResult } from '../store.js';
import type { SqliteContext } from './context.js';

/** A partner's POSTed order and its idempotency key, in one transaction. */
export class SqlitePartnerOrders {
  constructor(private readonly ctx: SqliteContext) {}

  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult> {
    return this.ctx.commits.run(() => {
      const existing = this.ctx.sql.findIdempotencyKey.get(input.partner, input.idempotencyKey) as
        | { request_hash: string; state: string; status_code: number; response: string; created_at: number }
        | undefined;
      if (existing) {
        if (existing.request_hash !== input.requestHash) return { kind: 'key_reused' };
        return existing.state === 'done'
          ? { kind: 'replay', statusCode: existing.status_code, response: existing.response }
          : { kind: 'in_flight', since: existing.created_at };
      }
      this.ctx.sql.insertIdempotencyKey.run(input.partner, input.idempotencyKey, input.requestHash, now);
      this.ctx.insertOrder(
        { orderId: input.orderId, partner: input.partner, sentAt: new Date(now).toISOString() },
        now,
      );
      const rowId = this.ctx.insertMessage(
        {
          direction: 'out',
          channel: 'crm.request',
          type: 'partner.order.requested',
          messageId: input.crm.messageId,
          orderId: input.orderId,
          state: 'pending',
          routingKey: input.crm.routingKey,
          payload: input.crm.payload,
        },
        now,
      );
      if (rowId === undefined) throw new Error(`message ${input.crm.messageId} already recorded`);
      return {
        kind: 'submitted',
        out: {
          rowId,
          channel: 'crm.request',
          messageId: input.crm.messageId,
          routingKey: input.crm.routingKey,
          payload: input.crm.payload,
        },
      };
    });
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
