import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { CrmPartnerOrder } from '../../contracts/generated/crm/partner-order.js';
import type { OrderRequest } from '../../contracts/generated/external/order-request.js';
import { maxJsonDepth } from '../../contracts/parse-json.js';
import { validatorFor } from '../../contracts/validate.js';
import type { PipelineDeps } from '../../pipeline/deps.js';
import { publishOut } from '../../pipeline/publish-out.js';
import { readJsonBody } from './json-body.js';
import { toResource } from './order-resources.js';
import type { PartnerEnv, PartnerGuard } from './partner-guard.js';
import { HttpProblem, ValidationFailed } from './problems.js';

const validateRequest = validatorFor<OrderRequest>('orderRequest');
const keyPattern = /^[\x21-\x7e]{1,128}$/;

/**
 * POST /v1/orders: a partner's order becomes a message to the CRM, ledgered like any other.
 * Idempotency-Key is required and scoped per partner: the same key and body replay the first
 * answer, a different body is a 422, a request still in flight a 409. Once the ledger has it the
 * order is accepted (202): if the broker is down, the watchdog's sweep hands it to the CRM later.
 */
export function orderSubmissionRoutes(deps: PipelineDeps, guard: PartnerGuard): Hono<PartnerEnv> {
  const routes = new Hono<PartnerEnv>();
  const limits = { maxBytes: deps.config.gateway.http.bodyLimitBytes, maxDepth: maxJsonDepth(deps.config.gateway) };
  routes.post('/v1/orders', guard.route(async (c) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined || !keyPattern.test(key)) {
      throw new ValidationFailed('headers', [{ pointer: '/Idempotency-Key', message: key === undefined ? 'is required' : 'must be 1 to 128 visible characters', fix: 'send a new unique key (e.g. a UUID) with each new order, and the same key when you retry it' }]);
    }
    const body = await readJsonBody(c, limits);
    const valid = validateRequest(body);
    if (!valid.ok) throw new ValidationFailed('body', valid.problems);

    const partner = c.get('partner');
    const keyHash = sha256(`${partner.id}\0${key}`).slice(0, 20);
    const orderId = `P-${partner.id}-${keyHash}`;
    const now = deps.clock();
    const message: CrmPartnerOrder = { messageId: `partner-order:${partner.id}:${keyHash}`, type: 'partner.order.requested', sentAt: new Date(now).toISOString(), orderId, partner: partner.id, ...valid.value };
    const result = await deps.ledger.submitPartnerOrder({
      partner: partner.id,
      idempotencyKey: key,
      requestHash: sha256(canonicalJson(valid.value)),
      orderId,
      crm: { messageId: message.messageId, routingKey: message.type, payload: JSON.stringify(message) },
    }, now);
    /** The order as it stands, stored as the key's answer for every retry. */
    const answer = async (replayed: boolean) => {
      const response = JSON.stringify(toResource((await deps.ledger.getOrder(orderId))!));
      await deps.ledger.finishIdempotencyKey(partner.id, key, { statusCode: 202, body: response });
      return c.body(response, 202, { 'content-type': 'application/json', location: `/v1/orders/${orderId}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) });
    };
    switch (result.kind) {
      case 'key_reused':
        throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This key was used before with a different body. Use a new key for a new order.');
      case 'in_flight': {
        if (now - result.since < abandonedAfterMs) throw new HttpProblem(409, 'idempotency-key-in-flight', 'Request in progress', 'A request with this key is still being processed; retry shortly.', {}, { 'retry-after': '1' });
        // The first request's work is in the ledger (the order, its message for the CRM, which the
        // watchdog sends if it was not), but the process stopped before storing the answer: give it now.
        return answer(true);
      }
      case 'replay':
        return c.body(result.response, result.statusCode as 202, { 'content-type': 'application/json', location: `/v1/orders/${orderId}`, 'idempotent-replayed': 'true' });
      case 'submitted': {
        await publishOut(deps, [result.out]).catch((error: unknown) => deps.logger.warn({ err: error, orderId }, 'partner order kept for the sweep: not published now'));
        return answer(false);
      }
    }
  }));
  return routes;
}

/** No request takes this long: a key still in flight after it was cut off (a crash, a kill). */
const abandonedAfterMs = 30_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with sorted keys: the same order sent with its fields in another order is the same body. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
