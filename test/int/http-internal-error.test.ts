import t, { type Test } from 'tap';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createHttpApp } from '../../src/adapters/http/app.js';
import type { OpsService } from '../../src/adapters/http/ops-routes.js';
import { NotPublishedError } from '../../src/app/ports.js';
import { withGatewayOverrides } from '../../src/config/index.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { enableTracing } from '../../src/telemetry/tracing.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';

const validProblem = validatorFor('problem');
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

interface LogLine {
  msg: string;
  path?: string;
  err?: { type: string; message: string; stack: string };
}

/** A gateway app (tracing off) whose timeline route fails with an error nobody mapped to HTTP. */
async function setup(t: Test) {
  const env = testConfig();
  const opsKey = randomBytes(24).toString('base64url');
  const config = withGatewayOverrides(env.config, {
    partners: [
      {
        id: 'ops',
        name: 'Operators',
        apiKeySha256: createHash('sha256').update(opsKey).digest('hex'),
        role: 'operator',
      },
    ],
  });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as LogLine);
        done();
      },
    }),
  });
  const ops: OpsService = {
    reportPage: () => Promise.reject(new Error('not in this test')),
    timeline: () => Promise.reject(new TypeError('the disk is on fire')),
    deadLetters: () => Promise.resolve([]),
    replay: () => Promise.resolve({ replayed: [], refused: [], kept: 0 }),
  };
  const app = createHttpApp({
    config,
    ledger,
    logger,
    publisher: { publish: () => Promise.reject(new NotPublishedError('no broker')) },
    clock: Date.now,
    readiness: { brokerConnected: () => true },
    ops,
  });
  const getTimeline = (headers: Record<string, string> = {}) =>
    app.request('/ops/orders/ORD-1/timeline', { headers: { authorization: `Bearer ${opsKey}`, ...headers } });
  return { getTimeline, lines };
}

t.test(
  'an unknown error is a 500 problem quoting the trace id of the request, and a log line with its stack',
  async (t) => {
    const { getTimeline, lines } = await setup(t);
    const response = await getTimeline({ traceparent });
    t.equal(response.status, 500);
    t.equal(response.headers.get('content-type'), 'application/problem+json');
    const text = await response.text();
    const body: unknown = JSON.parse(text);
    t.ok(validProblem(body).ok, 'a problem by the contract');
    t.same(body, {
      type: 'https://orderbridge.dev/problems/internal',
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side; it has been logged.',
      traceId,
    });
    t.notMatch(text, /disk is on fire|TypeError|at /, 'nothing of the error itself reaches the client');

    const logged = lines.filter((l) => l.msg === 'unhandled error in HTTP route');
    t.equal(logged.length, 1, 'one log line');
    t.match(logged[0], {
      path: '/ops/orders/ORD-1/timeline',
      err: { type: 'TypeError', message: 'the disk is on fire' },
    });
    t.match(logged[0]?.err?.stack, /^TypeError: the disk is on fire\n\s+at /, 'with its stack');
  },
);

t.test('without a valid traceparent the 500 quotes no trace id', async (t) => {
  const { getTimeline } = await setup(t);
  const invalid = [
    undefined,
    `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${traceId}-${'0'.repeat(16)}-01`,
    `ff-${traceId}-00f067aa0ba902b7-01`,
    `00-${traceId}-00f067aa0ba902b7-01-extra`,
    `${traceId}`,
    'x'.repeat(2000),
  ];
  for (const header of invalid) {
    const response = await getTimeline(header === undefined ? {} : { traceparent: header });
    t.equal(response.status, 500);
    t.notOk(
      'traceId' in ((await response.json()) as object),
      `no traceId for ${header?.slice(0, 60) ?? 'no traceparent'}`,
    );
  }
  const later = await getTimeline({ traceparent: `01-${traceId}-00f067aa0ba902b7-01-future-field` });
  t.match(await later.json(), { traceId }, 'a later version with more fields still names its trace');
});

// Last in this file: tracing stays on in this process from here.
t.test("with tracing on, the 500 quotes the trace of its server span: the caller's, or one begun here", async (t) => {
  const exporter = new tracing.InMemorySpanExporter();
  const sdk = new NodeSDK({
    serviceName: 'orderbridge-test',
    spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
    instrumentations: [],
  });
  sdk.start();
  enableTracing();
  t.teardown(() => sdk.shutdown());
  const { getTimeline } = await setup(t);

  t.match(await (await getTimeline({ traceparent })).json(), { status: 500, traceId }, "the caller's trace");
  const fresh = (await (await getTimeline()).json()) as { traceId?: string };
  // The span is exported just after the answer leaves.
  await waitFor(() => exporter.getFinishedSpans().length === 2, 5000, 'both server spans');
  const span = exporter.getFinishedSpans().at(-1);
  t.equal(span?.name, 'GET /ops/orders/:id/timeline');
  t.equal(fresh.traceId, span?.spanContext().traceId, 'a trace begun by the gateway');
  t.not(fresh.traceId, traceId);
});
