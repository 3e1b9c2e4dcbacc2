import { schemas } from '../../contracts/schemas.js';

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
} as const;

const componentOfFile = new Map(Object.entries(components).map(([name, schema]) => [schema.$id.split('/').pop()!, name]));

/**
 * The OpenAPI 3.1 document, generated from the same contracts the gateway validates with, so the
 * two cannot drift. File references become component references.
 */
export function openApiDocument(version: string): Record<string, Json> {
  const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
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
      '/mes/orders/{externalRef}': {
        get: {
          operationId: 'getMesOrder',
          summary: "The MES's own view of one of your orders, cached and circuit-broken",
          description: 'Answers carry ETag (send If-None-Match for a 304) and an RFC 9211 Cache-Status; while the MES is down, stale answers are labelled fwd=stale.',
          parameters: [{ name: 'externalRef', in: 'path', required: true, schema: { $ref: '#/components/schemas/Order/$defs/orderId' } }, { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            '200': { description: "The MES's answer", content: { 'application/json': { schema: { type: 'object' } } } },
            '304': { description: 'Not modified' },
            '404': problem('No such order, or not yours'),
            '502': problem('The MES failed and nothing is cached'),
            '503': problem('The MES is shielded (circuit open) and nothing is cached; see Retry-After'),
            '504': problem('The MES did not answer in time and nothing is cached'),
          },
        },
      },
      '/mes/{route}': {
        get: {
          operationId: 'getMesRoute',
          summary: 'A configured MES read route (e.g. worklist), for operator keys',
          parameters: [{ name: 'route', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }],
          responses: { '200': { description: "The MES's answer", content: { 'application/json': { schema: { type: 'object' } } } }, '304': { description: 'Not modified' }, '403': problem('Not an operator key'), '404': problem('No such route'), '503': problem('MES shielded, nothing cached') },
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
