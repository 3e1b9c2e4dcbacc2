import t from 'tap';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { orderIdFor, startCrmSimulator } from '../../sim/crm/index.js';
import { startMesSimulator } from '../../sim/mes/index.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { enableTracing, inServerSpan, inSpan, SpanKind, SpanStatusCode } from '../../src/telemetry/tracing.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';
import { waitFor } from '../helpers/wait-for.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { createHash } from 'node:crypto';

// Everything in this process records into memory: the gateway and both simulators, in-process.
const exporter = new tracing.InMemorySpanExporter();
const sdk = new NodeSDK({
  serviceName: 'orderbridge-test',
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  instrumentations: [],
});
sdk.start();
enableTracing();
t.teardown(() => sdk.shutdown());

t.test('one trace follows an order CRM → gateway → MES → gateway → CRM across the broker', async (t) => {
  const vhost = await createVhost('ob-trace');
  const env = testConfig({ amqpUrl: vhost.url, gateway: { http: { port: 0 } } });
  const { amqp } = env.config.gateway;
  const gateway = await startGateway({ config: env.config, logger: silentLogger });
  const mes = await startMesSimulator({
    amqpUrl: vhost.url,
    queue: amqp.queues.mesCommands,
    exchange: amqp.exchanges.mesEvents,
    port: 0,
    stepMs: 20,
    seed: 3,
    qcFailShare: 0,
  });
  t.teardown(async () => {
    await mes.stop();
    await gateway.stop();
    await vhost.remove();
    env.remove();
  });
  const crm = await startCrmSimulator({
    amqpUrl: vhost.url,
    queue: amqp.queues.crmOrderEvents,
    commandExchange: amqp.exchanges.crmCommands,
    factExchange: amqp.exchanges.crmEvents,
    orders: 3,
    rate: 50,
    runId: 'trace',
    cancelShare: 0,
    updateShare: 0,
    deliverAfterMs: 20,
    timeoutMs: 30_000,
    log: () => {},
  });
  const report = await crm.done;
  t.equal(report.byStatus.delivered, 3, 'three orders delivered');
  const orderId = orderIdFor('trace', 1);
  // Span names after the messaging conventions: `publish {exchange}:{routing key}`, `process {exchange}:{routing key}:{queue}`.
  const publishTo = (exchange: string) => (name: string) => name.startsWith(`publish ${exchange}:`);
  const processFrom = (exchange: string, queue: string) => (name: string) =>
    name.startsWith(`process ${exchange}:`) && name.endsWith(`:${queue}`);
  const { exchanges, queues } = amqp;
  const hops: [string, (name: string) => boolean][] = [
    [`publish ${exchanges.crmCommands}`, publishTo(exchanges.crmCommands)], // CRM simulator
    [`process ${queues.crmCommands}`, processFrom(exchanges.crmCommands, queues.crmCommands)], // gateway consumes the CRM command
    [`publish ${exchanges.mesCommands}`, publishTo(exchanges.mesCommands)], // gateway forwards it to the MES
    [`process ${queues.mesCommands}`, processFrom(exchanges.mesCommands, queues.mesCommands)], // MES simulator consumes it
    [`publish ${exchanges.mesEvents}`, publishTo(exchanges.mesEvents)], // MES simulator publishes the order's events
    [`process ${queues.mesEvents}`, processFrom(exchanges.mesEvents, queues.mesEvents)], // gateway consumes them
    [`publish ${exchanges.orderEvents}`, publishTo(exchanges.orderEvents)], // gateway publishes the external order events
    [`process ${queues.crmOrderEvents}`, processFrom(exchanges.orderEvents, queues.crmOrderEvents)], // CRM simulator consumes them
    [`publish ${exchanges.crmEvents}`, publishTo(exchanges.crmEvents)], // CRM simulator reports delivery
    [`process ${queues.crmEvents}`, processFrom(exchanges.crmEvents, queues.crmEvents)], // gateway consumes the delivery fact
  ];
  /** The order's trace as exported so far: the CRM's publish of its create command is the root. */
  const traceSoFar = () => {
    const spans = exporter.getFinishedSpans();
    const createSpan = spans.find(
      (s) => publishTo(exchanges.crmCommands)(s.name) && s.attributes['messaging.message.id'] === `${orderId}:create`,
    );
    const traceId = createSpan?.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    // A span whose parent has not ended yet looks like an orphan until it has.
    const orphans = inTrace.filter((s) => s !== createSpan && !byId.has(s.parentSpanContext?.spanId ?? ''));
    return { spans, createSpan, traceId, inTrace, orphans };
  };
  // The gateway still handles the CRM's delivery facts after the simulator is done: wait (bounded)
  // for the trace to hold every hop with every parent ended, then check it in detail.
  await waitFor(
    () => {
      const { inTrace, orphans } = traceSoFar();
      return orphans.length === 0 && hops.every(([, matches]) => inTrace.some((s) => matches(s.name)));
    },
    5000,
    'the whole trace',
  ).catch(() => undefined);
  const { spans, createSpan, traceId, inTrace, orphans } = traceSoFar();
  t.ok(createSpan, 'the CRM simulator records its publish');
  const names = inTrace.map((s) => s.name);
  for (const [hop, matches] of hops) t.ok(names.some(matches), `the trace holds "${hop}"`);
  t.same(
    orphans.map((s) => s.name),
    [],
    'every span of the trace hangs off another span of it',
  );
  const otherOrders = spans.filter(
    (s) => publishTo(exchanges.crmCommands)(s.name) && s.spanContext().traceId !== traceId,
  );
  t.equal(otherOrders.length, 2, 'the other two orders have traces of their own');

  const timeline = await gateway.ledger.timeline(orderId);
  t.ok(
    timeline.filter((entry) => entry.traceId === traceId).length >= 3,
    "the ledger keeps the trace id with the order's messages",
  );
});

t.test(
  "a partner's order is ledgered and published inside the request's span; a publish outside any span makes none",
  async (t) => {
    const key = 'tracing-test-key';
    const { gateway, peer, amqp } = await startTestGateway(t, {
      vhost: 'ob-trace-submit',
      gateway: {
        partners: [
          {
            id: 'alpha',
            name: 'Alpha',
            apiKeySha256: createHash('sha256').update(key).digest('hex'),
            requestsPerSecond: 1000,
          },
        ],
      },
    });
    const { exchanges, queues } = amqp;
    const toCrm = await peer.collect(queues.crmPartnerOrders);
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const answer = await fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
      method: 'POST',
      body: JSON.stringify({ reference: 'PO-1', customer: { id: 'C', name: 'C' }, lines: [{ sku: 'S', quantity: 1 }] }),
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': '"trace-1"',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    });
    t.equal(answer.status, 202);
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    await waitFor(() => inTrace().some((s) => s.kind === SpanKind.SERVER), 5000, 'the server span');
    const server = inTrace().find((s) => s.kind === SpanKind.SERVER)!;
    const childrenOfServer = inTrace().filter((s) => s.parentSpanContext?.spanId === server.spanContext().spanId);
    t.ok(
      childrenOfServer.some((s) => s.name === 'ledger write'),
      "the ledger write is a child of the request's span",
    );
    const publish = childrenOfServer.find((s) => s.kind === SpanKind.PRODUCER);
    t.ok(publish, 'so is the publish to the CRM');
    await waitFor(() => toCrm.length === 1, 5000, 'the partner order at the CRM');
    t.equal(
      toCrm[0]!.message.properties.headers?.traceparent,
      `00-${traceId}-${publish?.spanContext().spanId}-01`,
      'which names the publish as its parent',
    );

    // As the watchdog publishes: no request, no delivery, nothing active.
    const toMes = await peer.collect(queues.mesCommands);
    await gateway.broker.publish(exchanges.mesCommands, 'order.create', Buffer.from('{}'), { messageId: 'untraced-1' });
    await waitFor(() => toMes.length === 1, 5000, 'the message published outside any span');
    t.equal(toMes[0]!.message.properties.headers?.traceparent, undefined, 'it begins no trace');
    t.notOk(
      exporter.getFinishedSpans().some((s) => s.attributes['messaging.message.id'] === 'untraced-1'),
      'and makes no span',
    );
  },
);

t.test('log lines written inside a span carry its trace_id and span_id; outside, none', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
  logger.info('outside');
  const ids = await inSpan('work', { kind: SpanKind.INTERNAL }, async (span) => {
    logger.info('inside');
    return span.spanContext();
  });
  const [outside, inside] = lines.map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string });
  t.notOk(outside!.trace_id, 'outside a span: no trace_id');
  t.equal(inside!.trace_id, ids.traceId);
  t.equal(inside!.span_id, ids.spanId);
});

t.test("an HTTP request's server span continues the caller's traceparent and is named by its route", async (t) => {
  const vhost = await createVhost('ob-trace-http');
  const env = testConfig({ amqpUrl: vhost.url, gateway: { http: { port: 0 } } });
  const gateway = await startGateway({ config: env.config, logger: silentLogger });
  t.teardown(async () => {
    await gateway.stop();
    await vhost.remove();
    env.remove();
  });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const get = (path: string) =>
    fetch(`http://127.0.0.1:${gateway.http.port}${path}`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
  t.equal((await get('/healthz')).status, 200);
  t.equal((await get('/no/such/route/42')).status, 404);
  const server = exporter
    .getFinishedSpans()
    .filter((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId);
  t.same(server.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code']]).sort(), [
    ['GET /healthz', '/healthz', 200],
    ['GET unmatched', 'unmatched', 404],
  ]);
  t.ok(
    server.every(
      (s) =>
        s.parentSpanContext?.spanId === '00f067aa0ba902b7' ||
        (s as unknown as { parentSpanId?: string }).parentSpanId === '00f067aa0ba902b7',
    ),
    "children of the caller's span",
  );
});

t.test(
  'a server span around synchronous work keeps it synchronous; around a promise it ends when it settles',
  async (t) => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const spanOf = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);
    t.equal(
      inServerSpan(
        'sync answer',
        () => ({ traceparent }),
        () => 42,
      ),
      42,
      'the value itself, not a promise',
    );
    t.equal(
      spanOf('sync answer')?.spanContext().traceId,
      '0af7651916cd43dd8448eb211c80319c',
      "ended at once, in the caller's trace",
    );
    t.throws(
      () =>
        inServerSpan(
          'sync failure',
          () => ({}),
          () => {
            throw new Error('boom');
          },
        ),
      /boom/,
      'a synchronous throw stays synchronous',
    );
    t.equal(spanOf('sync failure')?.status.code, SpanStatusCode.ERROR, 'and is recorded on the ended span');
    const later = inServerSpan(
      'async answer',
      () => ({}),
      async () => 'done',
    );
    t.ok(later instanceof Promise);
    t.equal(await later, 'done');
    t.ok(spanOf('async answer'), 'ended once the promise settled');
    await t.rejects(
      inSpan('async failure', { kind: SpanKind.INTERNAL }, () => {
        throw new Error('sync throw in inSpan');
      }),
      /sync throw/,
      'inSpan still turns a synchronous throw into a rejection',
    );
    t.equal(spanOf('async failure')?.status.code, SpanStatusCode.ERROR);
  },
);
