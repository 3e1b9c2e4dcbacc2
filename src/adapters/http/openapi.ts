import type { MesQueryParam, MesReadRoute } from '../../contracts/generated/config/gateway.js';
import { schemas } from '../../contracts/schemas.js';
import { langs } from '../../app/report/texts.js';
import { wholeValue } from '../mes/read-routes.js';
import { cacheName, revalidateAlways } from './cache-status.js';
import { idempotencyKeyHelp } from './idempotency-key.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Schema = { $id: string; $defs?: Record<string, unknown> };

/** Contract files published as OpenAPI components, by the name they get there. */
const components: Record<string, Schema> = {
  Order: schemas.order,
  OrderRequest: schemas.orderRequest,
  OrderPage: schemas.orderPage,
  OrderStatus: schemas.orderStatus,
  Attention: schemas.attention,
  Problem: schemas.problem,
  OrderEvent: schemas.orderEvent,
  StatusChange: schemas.statusChange,
  ReconciliationReport: schemas.report,
};

/** Contract files that are only a set of $defs (no schema of their own), by the prefix their defs' names get. */
const defsOnly: Record<string, Schema> = {
  Crm: schemas.crmCommon,
};

const ownerOfFile = new Map(
  Object.entries({ ...components, ...defsOnly }).map(([name, schema]) => [schema.$id.split('/').pop()!, name]),
);

/**
 * The component a contract's $defs entry becomes: OpenAPI has no place for $defs inside a component
 * (a code generator reads them as a property), so each one is a component of its own, named by its
 * owner: Order's orderId is OrderId, its historyEntry OrderHistoryEntry, the CRM's customer CrmCustomer.
 */
function defComponentName(owner: string, def: string): string {
  const capitalised = def[0]!.toUpperCase() + def.slice(1);
  return capitalised.startsWith(owner) ? capitalised : `${owner}${capitalised}`;
}

const schemaRef = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const problemContent = (): JsonObject => ({ 'application/problem+json': { schema: schemaRef('Problem') } });
const problem = (description: string, headers: JsonObject = {}): JsonObject => ({
  description,
  ...(Object.keys(headers).length ? { headers } : {}),
  content: problemContent(),
});
const header = (description: string, schema: JsonObject, required = true): Json => ({ description, required, schema });

const cacheControlMeaning = {
  [revalidateAlways]: 'a copy may be kept, but revalidated with If-None-Match before each use',
  'no-store': 'not to be stored',
} as const;

/** The response headers this API sends, each as it is declared where it is sent. */
const headers = {
  etag: () =>
    header(
      'A strong entity tag of this representation; send it in If-None-Match to get a bodiless 304 while it is unchanged.',
      { type: 'string', pattern: '^"[\\x21\\x23-\\x7e]*"$' },
    ),
  cacheControl: (values: readonly (keyof typeof cacheControlMeaning)[], required = true) =>
    header(
      `How the answer may be cached: ${values.map((value) => `"${value}" (${cacheControlMeaning[value]})`).join(' or ')}.`,
      { type: 'string', enum: [...values] },
      required,
    ),
  retryAfter: () => header('Seconds to wait before retrying.', { type: 'integer', minimum: 0 }),
  location: () =>
    header('The order this request created: GET it for its status.', {
      type: 'string',
      format: 'uri-reference',
      pattern: '^/v1/orders/[^/]+$',
    }),
  idempotentReplayed: () =>
    header(
      'Sent (as true) when this answer is the stored answer to an earlier request with the same Idempotency-Key.',
      { type: 'boolean', const: true },
      false,
    ),
  // The pattern covers what the gateway writes (one list member, its own), not all of RFC 9211's grammar.
  cacheStatus: (required = true) =>
    header(
      `RFC 9211 Cache-Status of the gateway's cache, one member named ${cacheName}: hit, or fwd=miss|stale (why it went to the MES) with fwd-status; stored, collapsed (joined another request's MES call), ttl (seconds of freshness left, negative once stale) and detail (why a stale or failed answer: revalidating, invalidated, breaker-open, mes-busy, mes-timeout, mes-unreachable, mes-error, …).`,
      { type: 'string', pattern: `^${cacheName}(; ?[a-z][a-z0-9-]*(=[^;,]+)?)*$` },
      required,
    ),
  age: (required = true) =>
    header(
      'Seconds since the gateway got this answer from the MES (RFC 9111 Age); large while the MES is down and a stale copy is served.',
      { type: 'integer', minimum: 0 },
      required,
    ),
  contentLanguage: () =>
    header(
      'The language of the HTML page (from lang or Accept-Language).',
      { type: 'string', enum: [...langs] },
      false,
    ),
};

/** The answers every route of their kind can give, shared as response components. */
const sharedResponses: Record<string, JsonObject> = {
  Unauthorized: problem('No API key, or not a valid one', {
    'WWW-Authenticate': header('How to authenticate: with your API key as a Bearer token.', {
      type: 'string',
      const: 'Bearer realm="orderbridge"',
    }),
  }),
  Forbidden: problem('Not an operator key (role: operator)'),
  RateLimited: problem("Your key's rate limit (requests per second, one budget across all routes) is used up", {
    'Retry-After': headers.retryAfter(),
  }),
  PayloadTooLarge: problem('The body is larger than the gateway takes (http.bodyLimitBytes); the connection is closed'),
  InternalError: problem("Something went wrong on our side; quote the problem's traceId when asking about it"),
};
const unauthorized = responseRef('Unauthorized');
const forbidden = responseRef('Forbidden');
const rateLimited = responseRef('RateLimited');
const internalError = responseRef('InternalError');

const ifNoneMatch: Json = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag of your copy: a 304 without a body while it is still current.',
  schema: { type: 'string' },
};
const statusBody = (status: string): JsonObject => ({
  'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: status } } } },
});

const readyBody: JsonObject = {
  'application/json': {
    schema: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { const: 'ready' },
        broker: {
          type: 'object',
          required: ['node'],
          properties: { node: { type: 'string', description: 'The RabbitMQ node in use, as host:port' } },
        },
      },
    },
  },
};

/**
 * The OpenAPI 3.1 document, generated from the same contracts the gateway validates with, so the
 * two cannot drift. File references become component references and $defs components of their own;
 * the MES read routes are the ones this gateway is configured with, each with its query parameters
 * and their bounds. Every status a route answers is listed with the headers it carries.
 */
export function openApiDocument(version: string, mesRoutes: readonly MesReadRoute[] = []): Record<string, Json> {
  const reportContent: JsonObject = {
    'application/json': { schema: schemaRef('ReconciliationReport') },
    'text/csv': { schema: { type: 'string' } },
    'text/html': { schema: { type: 'string' } },
  };
  const reportResponses = (what: string): JsonObject => ({
    '200': { description: what, headers: { 'Content-Language': headers.contentLanguage() }, content: reportContent },
    '400': problem('A bad window, format or language; errors name each parameter and its fix'),
    '401': unauthorized,
    '403': forbidden,
    '429': problem(
      'Your rate limit is used up, or the gateway is rendering another report (it renders one at a time)',
      { 'Retry-After': headers.retryAfter() },
    ),
    '500': internalError,
  });
  const opsParameters: Json[] = [
    {
      name: 'since',
      in: 'query',
      required: false,
      description: 'The window back from now: 30m, 24h, 7d (default 24h)',
      schema: { type: 'string', pattern: '^\\d+(ms|s|m|h|d)$' },
    },
    {
      name: 'from',
      in: 'query',
      required: false,
      description: 'Start of the window (ISO 8601), instead of since',
      schema: { type: 'string', format: 'date-time' },
    },
    {
      name: 'to',
      in: 'query',
      required: false,
      description: 'End of the window (ISO 8601), default now',
      schema: { type: 'string', format: 'date-time' },
    },
    { name: 'lang', in: 'query', required: false, schema: { type: 'string', enum: [...langs] } },
  ];
  const formatParameter = (fallback: string): Json => ({
    name: 'format',
    in: 'query',
    required: false,
    schema: { type: 'string', enum: ['json', 'csv', 'html'], default: fallback },
  });
  const listQuery = schemas.orderListQuery.properties;
  const orderIdParameter = (name: string): Json => ({ name, in: 'path', required: true, schema: schemaRef('OrderId') });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orderbridge partner API',
      version,
      description:
        'Orders of the calling partner in the one external status model. Every error is an RFC 9457 problem (application/problem+json), ' +
        'including those no operation lists: 404 for a path no route serves, 405 with Allow for a served path and another method, ' +
        '400/408/414/431 for requests that are not valid HTTP, too slow, or too large in their URL or headers.',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths: {
      '/v1/orders/{id}': {
        get: {
          operationId: 'getOrder',
          summary: 'One order with its status history',
          description:
            'Answers carry an ETag; poll with If-None-Match to get a bodiless 304 while the order is unchanged.',
          parameters: [orderIdParameter('id'), ifNoneMatch],
          responses: {
            '200': {
              description: 'The order',
              headers: { ETag: headers.etag(), 'Cache-Control': headers.cacheControl([revalidateAlways]) },
              content: { 'application/json': { schema: schemaRef('Order') } },
            },
            '304': {
              description: 'Not modified since the ETag given in If-None-Match',
              headers: { ETag: headers.etag(), 'Cache-Control': headers.cacheControl([revalidateAlways]) },
            },
            '401': unauthorized,
            '404': problem('No such order, or not yours'),
            '429': rateLimited,
            '500': internalError,
          },
        },
      },
      '/v1/orders': {
        post: {
          operationId: 'submitOrder',
          summary: 'Submit a new order; it is handed to the CRM and visible at once as received',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description: idempotencyKeyHelp,
              schema: { type: 'string', minLength: 1 },
              examples: { quoted: { value: '"8e03978e-40d5-43e8-bc93-6894a57f9324"' } },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: schemaRef('OrderRequest') } } },
          responses: {
            '202': {
              description:
                'Accepted: the order as it stands (received). A retry with the same key and body gets this answer again, with Idempotent-Replayed.',
              headers: { Location: headers.location(), 'Idempotent-Replayed': headers.idempotentReplayed() },
              content: { 'application/json': { schema: schemaRef('Order') } },
            },
            '400': problem('Invalid body, or a missing or malformed Idempotency-Key; errors name each field and a fix'),
            '401': unauthorized,
            '409': problem('A request with this key is still in flight', { 'Retry-After': headers.retryAfter() }),
            '413': responseRef('PayloadTooLarge'),
            '415': problem('Content-Type is not application/json (charset=utf-8 or none)'),
            '422': problem('This key was used with a different body'),
            '429': rateLimited,
            '500': internalError,
          },
        },
        get: {
          operationId: 'listOrders',
          summary: 'Orders by last change, keyset-paginated',
          parameters: Object.entries(listQuery).map(([name, schema]) => ({
            name,
            in: 'query',
            required: false,
            schema: rewrite(schema as unknown as Json, 'OrderListQuery'),
          })),
          responses: {
            '200': {
              description: 'A page of orders',
              content: { 'application/json': { schema: schemaRef('OrderPage') } },
            },
            '400': problem('Invalid query; errors name each parameter'),
            '401': unauthorized,
            '429': rateLimited,
            '500': internalError,
          },
        },
      },
      '/mes/orders/{orderId}': {
        get: {
          operationId: 'getMesOrder',
          summary: "The MES's own view of one of your orders, cached and circuit-broken",
          description: mesProxyDescription,
          parameters: [orderIdParameter('orderId'), ifNoneMatch],
          responses: {
            ...mesProxyResponses(),
            '400': mesBadRequest('Not an order id (operator keys; a partner key gets 404)'),
            '404': {
              description:
                'No such order or not yours (no Cache-Status), or the MES does not know it: its own answer, passed on with Cache-Status and Age',
              headers: {
                'Cache-Status': headers.cacheStatus(false),
                Age: headers.age(false),
                'Cache-Control': headers.cacheControl([revalidateAlways, 'no-store'], false),
              },
              content: { ...problemContent(), '*/*': { schema: {} } },
            },
          },
        },
      },
      ...Object.fromEntries(mesRoutes.map((route) => [`/mes/${route.name}`, mesRouteOperation(route)])),
      '/ops': {
        get: {
          operationId: 'opsPage',
          summary:
            'The reconciliation report as one self-contained HTML page (operator keys), in the language of Accept-Language',
          parameters: [...opsParameters, formatParameter('html')],
          responses: reportResponses('The page (or the report in the format asked for)'),
        },
      },
      '/ops/report': {
        get: {
          operationId: 'opsReport',
          summary:
            'The reconciliation report for a window: counts, latency, discrepancies with suggested actions (operator keys)',
          parameters: [...opsParameters, formatParameter('json')],
          responses: reportResponses('The report'),
        },
      },
      '/ops/orders/{id}/timeline': {
        get: {
          operationId: 'opsTimeline',
          summary:
            'Every message, ack, redelivery, status change, flag and webhook attempt of one order, with trace ids (operator keys)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } }],
          responses: {
            '200': {
              description: 'The timeline, oldest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['orderId', 'entries'],
                    properties: { orderId: { type: 'string' }, entries: { type: 'array', items: { type: 'object' } } },
                  },
                },
              },
            },
            '401': unauthorized,
            '403': forbidden,
            '404': problem('The ledger has nothing about this order'),
            '429': rateLimited,
            '500': internalError,
          },
        },
      },
      '/ops/dead-letters': {
        get: {
          operationId: 'opsDeadLetters',
          summary:
            'The dead-letter queue grouped by reason, with errors and replay counts; nothing is taken out (operator keys)',
          responses: {
            '200': {
              description: 'The groups, largest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['groups'],
                    properties: { groups: { type: 'array', items: { type: 'object' } } },
                  },
                },
              },
            },
            '401': unauthorized,
            '403': forbidden,
            '429': rateLimited,
            '500': internalError,
          },
        },
      },
      '/ops/dead-letters/{id}/replay': {
        post: {
          operationId: 'opsReplayDeadLetter',
          summary:
            'Re-inject one dead letter into the gateway input it came from, as the gateway or the broker recorded it, after a fix; noted in the ledger (operator keys)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } }],
          responses: {
            '200': {
              description: 'What was replayed',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['replayed', 'kept'],
                    properties: {
                      replayed: { type: 'array', items: { type: 'object' } },
                      refused: { type: 'array', items: { type: 'object' } },
                      kept: { type: 'integer' },
                    },
                  },
                },
              },
            },
            '401': unauthorized,
            '403': forbidden,
            '404': problem('No dead letter with this id'),
            '409': problem(
              'Not replayed: its origin (a gateway input) cannot be established from what the gateway or the broker recorded, or no queue took the copy; it stays in the dead letters',
            ),
            '413': responseRef('PayloadTooLarge'),
            '429': rateLimited,
            '500': internalError,
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          security: [],
          summary: 'The process is up',
          responses: { '200': { description: 'Up', content: statusBody('ok') }, '500': internalError },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          summary: 'Broker connected and ledger writable',
          responses: {
            '200': { description: 'Ready, and the RabbitMQ node it is connected to', content: readyBody },
            '503': problem('Not ready'),
            '500': internalError,
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApiDocument',
          security: [],
          summary: 'This document',
          responses: {
            '200': {
              description: 'The OpenAPI 3.1 document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '500': internalError,
          },
        },
      },
      '/asyncapi.json': {
        get: {
          operationId: 'asyncApiDocument',
          security: [],
          summary: 'The AsyncAPI 3 document of the RabbitMQ side: exchanges, queues, routing keys and message schemas',
          responses: {
            '200': {
              description: 'The AsyncAPI document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '500': internalError,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'The API key Orderbridge issued to your organisation.' },
      },
      schemas: componentSchemas(),
      responses: sharedResponses,
    },
  };
}

const mesProxyDescription = `Answers carry ETag (send If-None-Match for a 304), Age and an RFC 9211 Cache-Status; while the MES is down, stale answers are labelled fwd=stale with a negative ttl. The MES's own client errors are passed on with its body.`;

/** What every answer of the cached, circuit-broken MES proxy can be. */
function mesProxyResponses(): JsonObject {
  const cached = () => ({
    ETag: headers.etag(),
    'Cache-Status': headers.cacheStatus(),
    Age: headers.age(),
    'Cache-Control': headers.cacheControl([revalidateAlways]),
  });
  const failed = (extra: JsonObject = {}) => ({
    'Cache-Status': headers.cacheStatus(),
    'Cache-Control': headers.cacheControl(['no-store']),
    ...extra,
  });
  return {
    '200': {
      description: "The MES's answer, fresh or cached (a stale one while the MES fails)",
      headers: cached(),
      content: { 'application/json': { schema: {} } },
    },
    '304': { description: 'Not modified since the ETag given in If-None-Match', headers: cached() },
    '401': unauthorized,
    '429': rateLimited,
    '4XX': {
      description: "Another client error the MES answered, passed on with the MES's body",
      headers: {
        'Cache-Status': headers.cacheStatus(),
        Age: headers.age(),
        'Cache-Control': headers.cacheControl([revalidateAlways]),
      },
      content: { '*/*': { schema: {} } },
    },
    '500': internalError,
    '502': problem('The MES failed (an error status, no answer, an answer too large) and nothing is cached', failed()),
    '503': problem(
      'The MES is shielded (circuit open) or every MES call slot is busy, and nothing is cached',
      failed({ 'Retry-After': headers.retryAfter() }),
    ),
    '504': problem('The MES did not answer in time and nothing is cached', failed()),
  };
}

/** The proxy's own 400 (not stored), or the MES's 400 passed on (with Age, as any MES answer). */
function mesBadRequest(description: string): JsonObject {
  const answer = problem(`${description}; or the MES's own 400, passed on`, {
    'Cache-Status': headers.cacheStatus(),
    'Cache-Control': headers.cacheControl(['no-store', revalidateAlways]),
    Age: headers.age(false),
  });
  return { ...answer, content: { ...problemContent(), '*/*': { schema: {} } } };
}

function mesRouteOperation(route: MesReadRoute): Json {
  return {
    get: {
      operationId: `getMes${route.name
        .split('-')
        .map((word) => word[0]!.toUpperCase() + word.slice(1))
        .join('')}`,
      summary: `The MES read route ${route.name} (MES ${route.path}), cached for ${route.ttl}; operator keys`,
      description: `${mesProxyDescription} Only the listed query parameters pass.`,
      parameters: [...route.query.map(queryParameter), ifNoneMatch],
      responses: {
        ...mesProxyResponses(),
        '400': mesBadRequest(
          'A query parameter this route does not take, or a value out of its bounds; errors name each one and its fix',
        ),
        '403': forbidden,
      },
    },
  };
}

function queryParameter(param: MesQueryParam): Json {
  const schema =
    param.type === 'integer'
      ? { type: 'integer', minimum: param.minimum, maximum: param.maximum, default: param.default }
      : // An OpenAPI pattern matches anywhere in the value unless anchored as the proxy applies it.
        {
          type: 'string',
          maxLength: param.maxLength,
          pattern: param.pattern === undefined ? undefined : wholeValue(param.pattern),
          default: param.default,
        };
  return { name: param.name, in: 'query', required: false, schema: withoutUndefined(schema) };
}

function withoutUndefined(fields: Record<string, Json | undefined>): Json {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, Json] => entry[1] !== undefined));
}

/** The contracts as components: each published file without its $defs, and each $defs entry as a component of its own. */
function componentSchemas(): JsonObject {
  const out: JsonObject = {};
  const add = (name: string, schema: Json) => {
    if (name in out) throw new Error(`two contract schemas would both be the OpenAPI component ${name}`);
    out[name] = schema;
  };
  for (const [name, schema] of Object.entries(components)) add(name, rewrite(schema as unknown as Json, name));
  for (const [owner, schema] of Object.entries({ ...components, ...defsOnly })) {
    for (const [def, defSchema] of Object.entries(schema.$defs ?? {}))
      add(defComponentName(owner, def), rewrite(defSchema as Json, owner));
  }
  return out;
}

/** Drops $id, $schema and $defs (published as components), and points references at components. */
function rewrite(node: Json, self: string): Json {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, self));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === '$schema' || key === '$defs') continue;
    out[key] = key === '$ref' && typeof value === 'string' ? componentRef(value, self) : rewrite(value, self);
  }
  return out;
}

function componentRef(ref: string, self: string): string {
  const [file, pointer = ''] = ref.split('#');
  const owner = file ? ownerOfFile.get(file.split('/').pop()!) : self;
  if (!owner) throw new Error(`contract ${file} is referenced from ${self} but not published in the OpenAPI document`);
  if (pointer === '' && owner in components) return `#/components/schemas/${owner}`;
  const def = /^\/\$defs\/([^/]+)$/.exec(pointer)?.[1];
  if (def === undefined)
    throw new Error(`the reference ${ref} (from ${self}) points where the OpenAPI document has no component`);
  return `#/components/schemas/${defComponentName(owner, def)}`;
}
