import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { openApiDocument } from '../../src/adapters/http/openapi.js';

t.test(
  'each configured MES read route is documented with its own parameters, and the document validates',
  async (t) => {
    const document = openApiDocument('1.2.3', [
      {
        name: 'worklist',
        path: '/worklist',
        ttl: '5s',
        query: [{ name: 'limit', type: 'integer', minimum: 1, maximum: 1000, default: 100 }],
      },
      {
        name: 'work-center-queue',
        path: '/centers/queue',
        ttl: '10s',
        query: [{ name: 'workCenter', type: 'string', pattern: '[A-Z0-9-]+', maxLength: 16 }],
      },
    ]) as {
      paths: Record<
        string,
        { get: { operationId: string; parameters: { name: string; schema: Record<string, unknown> }[] } }
      >;
    };
    await t.resolves(SwaggerParser.validate(structuredClone(document) as never), 'a valid OpenAPI 3.1 document');
    const queue = document.paths['/mes/work-center-queue']!.get;
    t.equal(queue.operationId, 'getMesWorkCenterQueue');
    t.same(
      queue.parameters[0],
      {
        name: 'workCenter',
        in: 'query',
        required: false,
        schema: { type: 'string', maxLength: 16, pattern: '^(?:[A-Z0-9-]+)$' },
      },
      'the pattern anchored: the proxy matches the whole value',
    );
    t.same(document.paths['/mes/worklist']!.get.parameters[0]!.schema, {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 100,
    });
    t.notOk(document.paths['/mes/{route}'], 'no generic route beside the configured ones');
    t.same(
      Object.keys(openApiDocument('1.2.3', []).paths as object).filter((path) => path.startsWith('/mes/')),
      ['/mes/orders/{orderId}'],
      'without routes only the per-order MES route',
    );
  },
);

t.test('the contracts become components without $defs, $id or $schema; limit is an integer', async (t) => {
  const document = openApiDocument('1.2.3', []) as {
    paths: Record<string, Record<string, { parameters?: { name: string; schema: unknown }[] }>>;
    components: { schemas: Record<string, unknown> };
  };
  const text = JSON.stringify(document);
  t.notMatch(text, /"\$defs"|"\$id"|"\$schema"/, 'no JSON Schema identifiers or $defs left');
  const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  t.ok(refs.length > 0);
  for (const ref of new Set(refs))
    t.match(ref, /^#\/components\/(schemas|responses)\/[A-Za-z]+$/, `${ref}: a whole component`);
  t.match(
    document.components.schemas,
    {
      OrderId: { type: 'string', maxLength: 64 },
      OrderHistoryEntry: { type: 'object' },
      CrmOrderLine: { type: 'object' },
      ReconciliationReportDiscrepancy: { type: 'object' },
    },
    '$defs are components of their own, named by their owner',
  );
  t.notOk('CrmCommon' in document.components.schemas, 'a file of $defs only is no component itself');
  const limit = document.paths['/v1/orders']!.get!.parameters!.find((p) => p.name === 'limit');
  t.same(limit?.schema, {
    type: 'integer',
    minimum: 1,
    maximum: 200,
    description: 'Page size, 1 to 200 (default 50).',
  });
  await t.resolves(SwaggerParser.validate(structuredClone(document) as never));
});
