import { createHash } from 'node:crypto';
import type { CrmPartnerOrder } from '../contracts/generated/crm/partner-order.js';
import type { OrderRequest } from '../contracts/generated/external/order-request.js';
import type { AppDeps } from './ports.js';
import { toResource } from './order-resource.js';
import { publishOut } from './publish-out.js';

export type PartnerOrderOutcome =
  /** The order as it stands (the answer every retry with the key gets); `replayed` for a retry. */
  | { kind: 'accepted'; orderId: string; body: string; replayed: boolean }
  /** The key was used before with another body. */
  | { kind: 'key_reused' }
  /** A request with this key is still being handled. */
  | { kind: 'in_flight' };

/** No request takes this long: a key still in flight after it was cut off (a crash, a kill). */
const abandonedAfterMs = 30_000;

/**
 * A partner's order becomes a message to the CRM, ledgered like any other. The idempotency key is
 * scoped per partner: the same key and body replay the first answer, another body is refused, a
 * request still in flight is told so. Once the ledger has it the order is accepted: if the broker
 * is down, the watchdog's sweep hands it to the CRM later. The order id and the CRM message id
 * derive from partner and key, so a retry can never make a second order.
 */
export async function submitPartnerOrder(
  deps: AppDeps,
  request: { partner: string; idempotencyKey: string; order: OrderRequest },
): Promise<PartnerOrderOutcome> {
  const { partner, idempotencyKey: key, order } = request;
  const keyHash = sha256(`${partner}\0${key}`).slice(0, 20);
  const orderId = `P-${partner}-${keyHash}`;
  const now = deps.clock();
  const message: CrmPartnerOrder = {
    messageId: `partner-order:${partner}:${keyHash}`,
    type: 'partner.order.requested',
    sentAt: new Date(now).toISOString(),
    orderId,
    partner,
    ...order,
  };
  const result = await deps.ledger.submitPartnerOrder(
    {
      partner,
      idempotencyKey: key,
      requestHash: sha256(canonicalJson(order)),
      orderId,
      crm: { messageId: message.messageId, routingKey: message.type, payload: JSON.stringify(message) },
    },
    now,
  );
  /** The order as it stands, stored as the key's answer for every retry. */
  const accepted = async (replayed: boolean): Promise<PartnerOrderOutcome> => {
    const body = JSON.stringify(toResource((await deps.ledger.getOrder(orderId))!));
    await deps.ledger.finishIdempotencyKey(partner, key, { statusCode: 202, body });
    return { kind: 'accepted', orderId, body, replayed };
  };
  switch (result.kind) {
    case 'key_reused':
      return result;
    case 'in_flight':
      // Past the abandon time the first request's work is in the ledger (the order, its message for
      // the CRM, which the watchdog sends if it was not) but its answer never was: give it now.
      return now - result.since < abandonedAfterMs ? { kind: 'in_flight' } : accepted(true);
    case 'replay':
      return { kind: 'accepted', orderId, body: result.response, replayed: true };
    case 'submitted':
      await publishOut(deps, [result.out]).catch((error: unknown) =>
        deps.logger.warn({ err: error, orderId }, 'partner order kept for the sweep: not published now'),
      );
      return accepted(false);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with sorted keys: the same order sent with its fields in another order is the same body. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
