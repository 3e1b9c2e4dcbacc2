import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;
interface HeaderObject {
  required?: boolean;
  schema?: Schema;
}
interface ResponseObject {
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * Headers about the message rather than the resource, which an API document does not declare:
 * OpenAPI describes the body's type by `content` (a Content-Type header there is ignored), the
 * rest is HTTP framing. Every other header a route sends must be in the document.
 */
export const framingHeaders = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

/** One real answer as the document sees it: the operation, the response key it falls under (200, 4XX, default), and what was wrong. */
export interface Checked {
  operation: string;
  /** The key of `responses` the status falls under, when there is one. */
  documentedAs: string | undefined;
  status: number;
  problems: string[];
  /** The body as text (the response itself is read). */
  body: string;
}

/**
 * Checks real answers against an OpenAPI 3.1 document (dereferenced with swagger-parser): the
 * status is documented for the operation, every header declared required is there, every header
 * sent is declared (framing aside) and fits its schema, and the body fits the schema of its media
 * type (ajv). `coverage()` tells which operations, statuses and declared headers were seen.
 */
export async function openApiConformance(document: object) {
  const dereferenced = (await SwaggerParser.dereference(structuredClone(document) as never)) as unknown as {
    paths: Record<string, Record<string, Operation>>;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const compiled = new WeakMap<object, ValidateFunction>();
  const schemaProblems = (schema: Schema, value: unknown): string[] => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate(value)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`);
  };

  const operations = Object.entries(dereferenced.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operation,
      })),
  );
  /** Per operation and response key: how many answers, and which headers they carried. */
  const seen = new Map<string, { count: number; headers: Set<string> }>();

  async function check(method: string, url: string, response: Response): Promise<Checked> {
    const path = new URL(url, 'http://localhost').pathname;
    const status = response.status;
    const body = await response.text();
    const found = operations.find((o) => o.method === method && o.pattern.test(path));
    if (!found)
      return {
        operation: `${method} ${path}`,
        documentedAs: undefined,
        status,
        problems: [`${method} ${path}: no operation in the document`],
        body,
      };
    const { operationId } = found.operation;
    const where = `${operationId} (${method} ${found.template}) ${status}`;
    const responses = found.operation.responses;
    const documentedAs = [String(status), `${String(status)[0]}XX`, 'default'].find((key) => responses[key]);
    if (!documentedAs)
      return {
        operation: operationId,
        documentedAs,
        status,
        problems: [`${where}: status not documented (documented: ${Object.keys(responses).join(', ')})`],
        body,
      };
    const documented = responses[documentedAs]!;
    const problems: string[] = [];

    const declared = new Map(
      Object.entries(documented.headers ?? {}).map(([name, header]) => [name.toLowerCase(), { name, header }]),
    );
    for (const [lower, { name, header }] of declared) {
      if (lower === 'content-type') continue;
      const value = response.headers.get(lower);
      if (value === null) {
        if (header.required) problems.push(`${where}: header ${name} is declared required but was not sent`);
        continue;
      }
      if (header.schema)
        for (const p of schemaProblems(header.schema, headerValue(value, header.schema)))
          problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${p}`);
    }
    const sent = [...response.headers.keys()].filter((name) => !framingHeaders.has(name));
    for (const name of sent)
      if (!declared.has(name)) problems.push(`${where}: header ${name} is sent but not declared`);
    const record = seen.get(`${operationId} ${documentedAs}`) ?? { count: 0, headers: new Set<string>() };
    record.count += 1;
    for (const name of sent) record.headers.add(name);
    seen.set(`${operationId} ${documentedAs}`, record);

    const content = documented.content ?? {};
    if (body === '') {
      if (Object.keys(content).length && method !== 'HEAD')
        problems.push(`${where}: documented with a body (${Object.keys(content).join(', ')}) but none was sent`);
    } else {
      const contentType = response.headers.get('content-type') ?? '';
      const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
      const key =
        Object.keys(content).find((k) => k.toLowerCase() === mediaType) ??
        Object.keys(content).find((k) => k === `${mediaType.split('/')[0]}/*`) ??
        Object.keys(content).find((k) => k === '*/*');
      if (key === undefined) {
        problems.push(
          `${where}: body of type ${JSON.stringify(contentType)} is not documented (documented: ${Object.keys(content).join(', ') || 'no body'})`,
        );
      } else {
        const schema = content[key]!.schema;
        const isJson = mediaType === 'application/json' || mediaType.endsWith('+json');
        let value: unknown = body;
        if (isJson) {
          try {
            value = JSON.parse(body);
          } catch {
            problems.push(`${where}: ${mediaType} body is not JSON`);
          }
        }
        if (schema) for (const p of schemaProblems(schema, value)) problems.push(`${where}: body ${p}`);
      }
    }
    return { operation: operationId, documentedAs, status, problems, body };
  }

  /**
   * What the answers checked so far covered: operations never called, statuses documented but
   * never seen, and for each response seen, the headers it declares that no answer carried.
   */
  function coverage() {
    const uncalled = operations
      .filter((o) => ![...seen.keys()].some((key) => key.startsWith(`${o.operation.operationId} `)))
      .map((o) => o.operation.operationId);
    const unseenStatuses = operations.flatMap((o) =>
      Object.keys(o.operation.responses)
        .filter((key) => !seen.has(`${o.operation.operationId} ${key}`))
        .map((key) => `${o.operation.operationId} ${key}`),
    );
    const neverSentHeaders = operations.flatMap((o) =>
      Object.entries(o.operation.responses).flatMap(([key, response]) => {
        const record = seen.get(`${o.operation.operationId} ${key}`);
        if (!record) return [];
        return Object.keys(response.headers ?? {})
          .filter((name) => !record.headers.has(name.toLowerCase()))
          .map((name) => `${o.operation.operationId} ${key} ${name}`);
      }),
    );
    return { uncalled, unseenStatuses, neverSentHeaders };
  }

  return { check, coverage, document: dereferenced };
}

/** A header's text as the value its schema describes (simple style): an integer, a boolean, or the text. */
function headerValue(value: string, schema: Schema): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}
