import type { PartnerOrderInput, PartnerOrderResult } from '../store.js';
import type { PgContext } from './context.js';
import { sql } from './statements.js';

interface IdempotencyRow {
  request_hash: string;
  state: string;
  status_code: number;
  response: string;
  created_at: number;
}

/** A partner's POSTed order and its idempotency key, in one transaction. */
export class PgPartnerOrders {
  constructor(private readonly ctx: PgContext) {}

  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult> {
    // The key is locked as an order is: the same key sent to two gateways at once, the second waits
    // for the first's commit and finds the key, instead of failing on its unique index.
    const keyLock = `idempotency-key:${input.partner}:${input.idempotencyKey}`;
    return this.ctx.commits.run({ orders: [input.orderId, keyLock] }, async (tx) => {
      const existing = (await tx.query<IdempotencyRow>(sql.findIdempotencyKey, [input.partner, input.idempotencyKey]))
        .rows[0];
      if (existing) {
        if (existing.request_hash !== input.requestHash) return { kind: 'key_reused' };
        return existing.state === 'done'
          ? { kind: 'replay', statusCode: existing.status_code, response: existing.response }
          : { kind: 'in_flight', since: existing.created_at };
      }
      tx.send(sql.insertIdempotencyKey, [input.partner, input.idempotencyKey, input.requestHash, now]);
      this.ctx.insertOrder(
        tx,
        { orderId: input.orderId, partner: input.partner, sentAt: new Date(now).toISOString() },
        now,
      );
      const rowId = await this.ctx.insertMessage(
        tx,
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
    return this.ctx.commits.run({}, async (tx) => {
      if (response) tx.send(sql.finishIdempotencyKey, [response.statusCode, response.body, partner, key]);
      else tx.send(sql.dropIdempotencyKey, [partner, key]);
    });
  }
}
