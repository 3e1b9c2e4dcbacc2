import { Hono } from 'hono';
import type { OrderRequest } from '../../contracts/generated/external/order-request.js';
import { maxJsonDepth } from '../../contracts/parse-json.js';
import { validatorFor } from '../../contracts/validate.js';
import type { AppDeps } from '../../app/ports.js';
import { submitPartnerOrder } from '../../app/submit-partner-order.js';
import { readIdempotencyKey } from './idempotency-key.js';
import { readJsonBody } from './json-body.js';
import type { PartnerEnv, PartnerGuard } from './partner-guard.js';
import { HttpProblem, ValidationFailed } from './problems.js';

const validateRequest = validatorFor<OrderRequest>('orderRequest');

/**
 * POST /v1/orders: parse, submit (app/submit-partner-order.ts), answer. Idempotency-Key is
 * required (a Structured Field String, or the same key unquoted: see idempotency-key.ts): the same
 * key and body get the first answer again, another body a 422, a request still in flight a 409;
 * an accepted order is a 202 with its resource.
 */
export function orderSubmissionRoutes(deps: AppDeps, guard: PartnerGuard): Hono<PartnerEnv> {
  const routes = new Hono<PartnerEnv>();
  const limits = { maxBytes: deps.config.gateway.http.bodyLimitBytes, maxDepth: maxJsonDepth(deps.config.gateway) };
  routes.post(
    '/v1/orders',
    guard.route(async (c) => {
      const idempotency = readIdempotencyKey(c.req.header('idempotency-key'));
      if (!idempotency.ok) throw new ValidationFailed('headers', [idempotency.problem]);
      const valid = validateRequest(await readJsonBody(c, limits));
      if (!valid.ok) throw new ValidationFailed('body', valid.problems);
      const outcome = await submitPartnerOrder(deps, {
        partner: c.get('partner').id,
        idempotencyKey: idempotency.key,
        order: valid.value,
      });
      switch (outcome.kind) {
        case 'key_reused':
          throw new HttpProblem(
            422,
            'idempotency-key-reused',
            'Idempotency-Key reused',
            'This key was used before with a different body. Use a new key for a new order.',
          );
        case 'in_flight':
          throw new HttpProblem(
            409,
            'idempotency-key-in-flight',
            'Request in progress',
            'A request with this key is still being processed; retry shortly.',
            {},
            { 'retry-after': '1' },
          );
        case 'accepted':
          return c.body(outcome.body, 202, {
            'content-type': 'application/json',
            location: `/v1/orders/${outcome.orderId}`,
            ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
          });
      }
    }),
  );
  return routes;
}
