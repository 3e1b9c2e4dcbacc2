import { answer, type Answer, type Plan } from './plan.js';
import type { IntakeRows } from './record-intake.js';
import type { PartnerOrderInput, PartnerOrderResult } from './store.js';

export interface IdempotencyKeyRow {
  request_hash: string;
  state: string;
  status_code: number;
  response: string;
  created_at: number;
}

/** The rows a partner's order is written with: its idempotency key beside the pipeline's rows. */
export interface PartnerOrderRows extends Pick<IntakeRows, 'insertMessage' | 'insertOrder'> {
  findIdempotencyKey(partner: string, key: string): Answer<IdempotencyKeyRow | undefined>;
  insertIdempotencyKey(partner: string, key: string, requestHash: string, now: number): void;
}

/**
 * A partner's POSTed order: its idempotency key, the order and the message asking the CRM for it,
 * in one unit; or the key's earlier answer (a replay), its request still in flight, or the key
 * reused for another body.
 */
export function* submitPartnerOrder(
  rows: PartnerOrderRows,
  input: PartnerOrderInput,
  now: number,
): Plan<PartnerOrderResult> {
  const existing = yield* answer(rows.findIdempotencyKey(input.partner, input.idempotencyKey));
  if (existing) {
    if (existing.request_hash !== input.requestHash) return { kind: 'key_reused' };
    return existing.state === 'done'
      ? { kind: 'replay', statusCode: existing.status_code, response: existing.response }
      : { kind: 'in_flight', since: existing.created_at };
  }
  rows.insertIdempotencyKey(input.partner, input.idempotencyKey, input.requestHash, now);
  rows.insertOrder({ orderId: input.orderId, partner: input.partner, sentAt: new Date(now).toISOString() }, now);
  const { messageId, routingKey, payload } = input.crm;
  const rowId = yield* answer(
    rows.insertMessage(
      {
        direction: 'out',
        channel: 'crm.request',
        type: 'partner.order.requested',
        messageId,
        orderId: input.orderId,
        state: 'pending',
        routingKey,
        payload,
      },
      now,
    ),
  );
  if (rowId === undefined) throw new Error(`message ${messageId} already recorded`);
  return { kind: 'submitted', out: { rowId, channel: 'crm.request', messageId, routingKey, payload } };
}
