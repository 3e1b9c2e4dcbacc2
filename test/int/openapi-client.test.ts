import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { createHttpApp } from '../../src/adapters/http/app.js';
import { NotPublishedError } from '../../src/app/ports.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { testConfig } from '../helpers/gateway-config.js';

// The project's own TypeScript compiler, as an integrator's build would run it.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * What an integrator writes against the generated types: an Order built as a plain object, a
 * request body, query parameters, and typed reads of answers, their bodies and their headers.
 * Every header read here is typed by the document: an undocumented one would be `unknown`.
 */
const program = `import type { components, paths } from './api.js';

type Order = components['schemas']['Order'];
type GetOrder = paths['/v1/orders/{id}']['get'];
type ListOrders = paths['/v1/orders']['get'];
type SubmitOrder = paths['/v1/orders']['post'];
type GetMesOrder = paths['/mes/orders/{orderId}']['get'];
type GetWorklist = paths['/mes/worklist']['get'];

// An Order is a plain object with the contract's fields, nothing else.
export const order: Order = {
  id: 'ORD-1',
  partner: 'alpha',
  status: 'received',
  statusSince: '2026-11-25T10:00:00Z',
  attention: null,
  createdAt: '2026-11-25T10:00:00Z',
  updatedAt: '2026-11-25T10:00:00Z',
  history: [{ status: 'received', at: '2026-11-25T10:00:00Z', source: 'gateway' }],
};
export const orderId: components['schemas']['OrderId'] = order.id;

export const submission: SubmitOrder['requestBody']['content']['application/json'] = {
  reference: 'PO-4711',
  customer: { id: 'C-9', name: 'Acme' },
  lines: [{ sku: 'FLANGE-80', quantity: 12 }],
  priority: 'rush',
};
export const submitHeaders: SubmitOrder['parameters']['header'] = { 'Idempotency-Key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' };

export const query: NonNullable<ListOrders['parameters']['query']> = { limit: 20, status: 'shipped' };
// @ts-expect-error limit is an integer, not a string
export const stringLimit: NonNullable<ListOrders['parameters']['query']> = { limit: '20' };

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

export async function integrate(base: string, key: string): Promise<string[]> {
  const seen: string[] = [];
  const auth = { authorization: \`Bearer \${key}\` };

  const submitted = await fetch(\`\${base}/v1/orders\`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...submitHeaders }, body: JSON.stringify(submission) });
  if (submitted.status === 202) {
    type Accepted = SubmitOrder['responses'][202];
    const accepted = await json<Accepted['content']['application/json']>(submitted);
    const location: string = null! as Accepted['headers']['Location'];
    const replayed: true | undefined = null! as Accepted['headers']['Idempotent-Replayed'];
    seen.push(accepted.id, location, String(replayed));
  } else if (submitted.status === 409) {
    const retryAfter: number = null! as SubmitOrder['responses'][409]['headers']['Retry-After'];
    seen.push(String(retryAfter));
  }

  const one = await fetch(\`\${base}/v1/orders/\${orderId}\`, { headers: auth });
  if (one.status === 200) {
    const body = await json<GetOrder['responses'][200]['content']['application/json']>(one);
    const etag: string = null! as GetOrder['responses'][200]['headers']['ETag'];
    const cacheControl: string = null! as GetOrder['responses'][200]['headers']['Cache-Control'];
    const last: Order['status'] | undefined = body.history?.at(-1)?.status;
    seen.push(body.status, etag, cacheControl, String(last));
  } else if (one.status === 401) {
    const problem = await json<GetOrder['responses'][401]['content']['application/problem+json']>(one);
    const challenge: string = null! as GetOrder['responses'][401]['headers']['WWW-Authenticate'];
    seen.push(problem.title, challenge);
  } else if (one.status === 429) {
    const retryAfter: number = null! as GetOrder['responses'][429]['headers']['Retry-After'];
    seen.push(String(retryAfter));
  }

  const page = await json<ListOrders['responses'][200]['content']['application/json']>(await fetch(\`\${base}/v1/orders?limit=\${query.limit}\`, { headers: auth }));
  seen.push(...page.data.map((o) => o.id), String(page.nextCursor));

  const mes = await fetch(\`\${base}/mes/orders/\${orderId}\`, { headers: auth });
  if (mes.status === 200) {
    const cacheStatus: string = null! as GetMesOrder['responses'][200]['headers']['Cache-Status'];
    const age: number = null! as GetMesOrder['responses'][200]['headers']['Age'];
    const etag: string = null! as GetMesOrder['responses'][200]['headers']['ETag'];
    seen.push(cacheStatus, String(age), etag);
  } else if (mes.status === 401) {
    const problem = await json<GetMesOrder['responses'][401]['content']['application/problem+json']>(mes);
    seen.push(problem.type);
  } else if (mes.status === 503) {
    const retryAfter: number = null! as GetMesOrder['responses'][503]['headers']['Retry-After'];
    const cacheStatus: string = null! as GetMesOrder['responses'][503]['headers']['Cache-Status'];
    seen.push(String(retryAfter), cacheStatus);
  }
  const worklist = await fetch(\`\${base}/mes/worklist?limit=10\`, { headers: auth });
  if (worklist.status === 403) {
    const problem = await json<GetWorklist['responses'][403]['content']['application/problem+json']>(worklist);
    seen.push(problem.title);
  }
  return seen;
}
`;

const tsconfig = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    types: [],
  },
  include: ['*.ts'],
};

t.test(
  'a client generated from /openapi.json with openapi-typescript type-checks a plain program (strict)',
  async (t) => {
    const env = testConfig();
    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(env.config) });
    const dir = mkdtempSync(join(tmpdir(), 'orderbridge-openapi-client-'));
    t.teardown(async () => {
      await ledger.close();
      env.remove();
      rmSync(dir, { recursive: true, force: true });
    });
    const noBroker = { publish: () => Promise.reject(new NotPublishedError('no broker in this test')) };
    const app = createHttpApp({
      config: env.config,
      ledger,
      logger: silentLogger,
      publisher: noBroker,
      clock: Date.now,
      readiness: { brokerConnected: () => true },
    });
    const served = await app.request('/openapi.json');
    t.equal(served.status, 200);

    // defaultNonNullable: false, as the README says: with it on, openapi-typescript makes every field
    // with a default required, in request bodies too (a line's unit), not only in answers.
    const types = astToString(
      await openapiTS((await served.json()) as Parameters<typeof openapiTS>[0], {
        silent: true,
        defaultNonNullable: false,
      }),
    );
    writeFileSync(join(dir, 'api.ts'), types);
    writeFileSync(join(dir, 'client.ts'), program);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));

    const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', dir], { cwd: dir }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    );
    t.equal(result.code, 0, 'tsc --noEmit passes on the generated types and the program');
    t.equal(result.output, '', 'no diagnostics');
    // openapi-typescript always exports an empty root `$defs` type; none may sit inside a schema.
    t.notMatch(types, /\$defs\??:|\["\$defs"\]/, 'no JSON Schema $defs leak into the generated types');
  },
);
