import type { MesQueryParam, MesReadRoute } from '../../contracts/generated/config/gateway.js';
import { schemas } from '../../contracts/schemas.js';
import { wholeValue } from '../mes/read-routes.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Contract files published as OpenAPI components, by the name they get there. */
const components = {
  Order: schemas.order,
  OrderRequest: schemas.orderRequest,
  CrmCommon: schemas.crmCommon,
  OrderPage: schemas.orderPage,
  OrderStatus: schemas.orderStatus,
  Attention: schemas.attention,
  Problem: schemas.problem,
  OrderEvent: schemas.orderEvent,
  StatusChange: schemas.statusChange,
  ReconciliationReport: schemas.report,
} as const;

const problem = (description: string): Json => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

const componentOfFile = new Map(Object.entries(components).map(([name, schema]) => [schema.$id.split('/').pop()!, name]));

/**
 * The OpenAPI 3.1 document, generated from the same contracts the gateway validates with, so the
 * two cannot drift. File references become component references; the MES read routes are the ones
 * this gateway is configured with, each with its query parameters and their bounds.
 */
export function openApiDocument(version: string, mesRoutes: readonly MesReadRoute[] = []): Record<string, Json> {
  const opsParameters: Json[] = [
    { name: 'since', in: 'query', required: false, description: 'The window back from now: 30m, 24h, 7d (default 24h)', schema: { type: 'string', pattern: '^\\d+(ms|s|m|h|d)$' } },
    { name: 'from', in: 'query', required: false, description: 'Start of the window (ISO 8601), instead of since', schema: { type: 'string', format: 'date-time' } },
    { name: 'to', in: 'query', required: false, description: 'End of the window (ISO 8601), default now', schema: { type: 'string', format: 'date-time' } },
    { name: 'lang', in: 'query', required: false, schema: { type: 'string', enum: ['en', 'ru'] } },
  ];
  const listQuery = schemas.orderListQuery.properties;
  return {
    openapi: '3.1.0',
    info: { title: 'Orderbridge partner API', version, description: 'Orders of the calling partner in the one external status model. Errors are RFC 9457 problem details.' },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths: {
      '/v1/orders/{id}': {
        get: {
          operationId: 'getOrder',
          summary: 'One order with its status history',
          description: 'Answers carry an ETag; poll with If-None-Match to get a bodiless 304 while the order is unchanged.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Order/$defs/orderId' } }, { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The order', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            '304': { description: 'Not modified since the ETag given in If-None-Match' },
            '401': problem('Missing or invalid API key'),
            '404': problem('No such order, or not yours'),
            '429': problem('Rate limit used up; see Retry-After'),
          },
        },
      },
      '/v1/orders': {
        post: {
          operationId: 'submitOrder',
          summary: 'Submit a new order; it is handed to the CRM and visible at once as received',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, description: 'A new unique key per order (e.g. a UUID); the same key when retrying. Scoped to your API key.', schema: { type: 'string', minLength: 1, maxLength: 128 } }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderRequest' } } } },
          responses: {
            '202': { description: 'Accepted: the order as it stands (received); Location names it. A replay carries Idempotent-Replayed: true.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            '400': problem('Invalid body or missing Idempotency-Key; errors name each field and a fix'),
            '401': problem('Missing or invalid API key'),
            '409': problem('A request with this key is still in flight'),
            '413': problem('Body too large'),
            '415': problem('Content-Type is not application/json (charset=utf-8 or none)'),
            '422': problem('This key was used with a different body'),
            '429': problem('Rate limit used up; see Retry-After'),
          },
        },
        get: {
          operationId: 'listOrders',
          summary: 'Orders by last change, keyset-paginated',
          parameters: Object.entries(listQuery).map(([name, schema]) => ({ name, in: 'query', required: false, schema: rewrite(schema as unknown as Json, 'OrderListQuery') })),
          responses: {
            '200': { description: 'A page of orders', content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderPage' } } } },
            '400': problem('Invalid query; errors name each parameter'),
            '401': problem('Missing or invalid API key'),
            '429': problem('Rate limit used up; see Retry-After'),
          },
        },
      },
      '/mes/orders/{orderId}': {
        get: {
          operationId: 'getMesOrder',
          summary: "The MES's own view of one of your orders, cached and circuit-broken",
          description: mesProxyDescription,
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { $ref: '#/components/schemas/Order/$defs/orderId' } }, ifNoneMatch],
          responses: { ...mesProxyResponses, '404': problem('No such order, or not yours') },
        },
      },
      ...Object.fromEntries(mesRoutes.map((route) => [`/mes/${route.name}`, mesRouteOperation(route)])),
      '/ops': {
        get: {
          operationId: 'opsPage',
          summary: 'The reconciliation report as one self-contained HTML page (operator keys), in the language of Accept-Language',
          parameters: opsParameters,
          responses: { '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } }, '400': problem('A bad window or format'), '401': problem('Missing or invalid API key'), '403': problem('Not an operator key') },
        },
      },
      '/ops/report': {
        get: {
          operationId: 'opsReport',
          summary: 'The reconciliation report for a window: counts, latency, discrepancies with suggested actions (operator keys)',
          parameters: [...opsParameters, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv', 'html'], default: 'json' } }],
          responses: {
            '200': { description: 'The report', content: { 'application/json': { schema: { $ref: '#/components/schemas/ReconciliationReport' } }, 'text/csv': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } } },
            '400': problem('A bad window or format'), '401': problem('Missing or invalid API key'), '403': problem('Not an operator key'),
          },
        },
      },
      '/ops/orders/{id}/timeline': {
        get: {
          operationId: 'opsTimeline',
          summary: 'Every message, ack, redelivery, status change, flag and webhook attempt of one order, with trace ids (operator keys)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } }],
          responses: { '200': { description: 'The timeline, oldest first', content: { 'application/json': { schema: { type: 'object', required: ['orderId', 'entries'], properties: { orderId: { type: 'string' }, entries: { type: 'array', items: { type: 'object' } } } } } } }, '401': problem('Missing or invalid API key'), '403': problem('Not an operator key'), '404': problem('The ledger has nothing about this order') },
        },
      },
      '/ops/dead-letters': {
        get: {
          operationId: 'opsDeadLetters',
          summary: 'The dead-letter queue grouped by reason, with errors and replay counts; nothing is taken out (operator keys)',
          responses: { '200': { description: 'The groups, largest first', content: { 'application/json': { schema: { type: 'object', required: ['groups'], properties: { groups: { type: 'array', items: { type: 'object' } } } } } } }, '401': problem('Missing or invalid API key'), '403': problem('Not an operator key') },
        },
      },
      '/ops/dead-letters/{id}/replay': {
        post: {
          operationId: 'opsReplayDeadLetter',
          summary: 'Re-inject one dead letter into the gateway input it came from, as the gateway or the broker recorded it, after a fix; noted in the ledger (operator keys)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } }],
          responses: { '200': { description: 'What was replayed', content: { 'application/json': { schema: { type: 'object', required: ['replayed', 'kept'], properties: { replayed: { type: 'array', items: { type: 'object' } }, refused: { type: 'array', items: { type: 'object' } }, kept: { type: 'integer' } } } } } }, '401': problem('Missing or invalid API key'), '403': problem('Not an operator key'), '404': problem('No dead letter with this id'), '409': problem('Not replayed: its origin (a gateway input) cannot be established from what the gateway or the broker recorded, or no queue took the copy; it stays in the dead letters') },
        },
      },
      '/healthz': { get: { operationId: 'health', security: [], summary: 'The process is up', responses: { '200': { description: 'Up' } } } },
      '/readyz': { get: { operationId: 'ready', security: [], summary: 'Broker connected and ledger writable', responses: { '200': { description: 'Ready' }, '503': problem('Not ready') } } },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The API key Orderbridge issued to your organisation.' } },
      schemas: Object.fromEntries(Object.entries(components).map(([name, schema]) => [name, rewrite(schema as unknown as Json, name)])),
    },
  };
}

const mesProxyDescription = 'Answers carry ETag (send If-None-Match for a 304) and an RFC 9211 Cache-Status; while the MES is down, stale answers are labelled fwd=stale.';
const ifNoneMatch: Json = { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } };

/** What every answer of the cached, circuit-broken MES proxy can be. */
const mesProxyResponses: Record<string, Json> = {
  '200': { description: "The MES's answer", content: { 'application/json': { schema: { type: 'object' } } } },
  '304': { description: 'Not modified' },
  '502': problem('The MES failed and nothing is cached'),
  '503': problem('The MES is shielded (circuit open) and nothing is cached; see Retry-After'),
  '504': problem('The MES did not answer in time and nothing is cached'),
};

function mesRouteOperation(route: MesReadRoute): Json {
  return {
    get: {
      operationId: `getMes${route.name.split('-').map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}`,
      summary: `The MES read route ${route.name} (MES ${route.path}), cached for ${route.ttl}; operator keys`,
      description: `${mesProxyDescription} Only the listed query parameters pass.`,
      parameters: [...route.query.map(queryParameter), ifNoneMatch],
      responses: {
        ...mesProxyResponses,
        '400': problem('A query parameter this route does not take, or a value out of its bounds; errors name each one and its fix'),
        '401': problem('Missing or invalid API key'),
        '403': problem('Not an operator key'),
      },
    },
  };
}

function queryParameter(param: MesQueryParam): Json {
  const schema = param.type === 'integer'
    ? { type: 'integer', minimum: param.minimum, maximum: param.maximum, default: param.default }
    // An OpenAPI pattern matches anywhere in the value unless anchored as the proxy applies it.
    : { type: 'string', maxLength: param.maxLength, pattern: param.pattern === undefined ? undefined : wholeValue(param.pattern), default: param.default };
  return { name: param.name, in: 'query', required: false, schema: withoutUndefined(schema) };
}

function withoutUndefined(fields: Record<string, Json | undefined>): Json {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, Json] => entry[1] !== undefined));
}

/** Drops $id/$schema and points file references at components (local ones at the same component). */
function rewrite(node: Json, self: string): Json {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, self));
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === '$schema') continue;
    out[key] = key === '$ref' && typeof value === 'string' ? componentRef(value, self) : rewrite(value, self);
  }
  return out;
}

function componentRef(ref: string, self: string): string {
  const [file, pointer = ''] = ref.split('#');
  const name = file ? componentOfFile.get(file.split('/').pop()!) : self;
  if (!name) throw new Error(`contract ${file} is referenced from ${self} but not published in the OpenAPI document`);
  return `#/components/schemas/${name}${pointer}`;
}
