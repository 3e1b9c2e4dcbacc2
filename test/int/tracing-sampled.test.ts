import t from 'tap';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { enableTracing, inChildSpan, inServerSpan, SpanKind, traceHeaders } from '../../src/telemetry/tracing.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { crmCreateCommand } from '../fixtures/mes-events.js';

// The gateway records what its sampler keeps: a sampled caller's trace, never a trace of its own.
const exporter = new tracing.InMemorySpanExporter();
const sdk = new NodeSDK({
  serviceName: 'orderbridge-test',
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  sampler: new tracing.ParentBasedSampler({ root: new tracing.AlwaysOffSampler() }),
  instrumentations: [],
});
sdk.start();
enableTracing();
t.teardown(() => sdk.shutdown());

const sampledTrace = '0af7651916cd43dd8448eb211c80319c';
/** A sampled caller's traceparent, its span id `spanId` (16 hex digits). */
const sampledBy = (spanId: string) => `00-${sampledTrace}-${spanId}-01`;
const droppedParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

/** The gateway's spans of the message a sampled caller's span `callerSpanId` sent, once both ended (bounded wait). */
async function spansUnder(callerSpanId: string) {
  const find = () => {
    const spans = exporter.getFinishedSpans();
    const process = spans.find((s) => s.kind === SpanKind.CONSUMER && s.parentSpanContext?.spanId === callerSpanId);
    const publish = spans.find(
      (s) => s.kind === SpanKind.PRODUCER && s.parentSpanContext?.spanId === process?.spanContext().spanId,
    );
    return { process, publish };
  };
  await waitFor(() => find().publish !== undefined, 5000, `the spans under ${callerSpanId}`);
  return find();
}

t.test('a delivery the sampler drops makes no span and passes its trace context on unchanged', async (t) => {
  const { peer, amqp } = await startTestGateway(t, { vhost: 'ob-trace-sampled' });
  const { exchanges, queues } = amqp;
  const toMes = await peer.collect(queues.mesCommands);
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('S-1'), {
    traceparent: droppedParent,
    baggage: 'tenant=acme',
  });
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('S-2'));
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('S-3'), {
    traceparent: sampledBy('b7ad6b7169203331'),
    baggage: 'tenant=acme',
  });
  await waitFor(() => toMes.length === 3, 5000, 'three MES commands');
  const headersTo = (orderId: string) =>
    toMes.find((m) => m.message.content.toString().includes(orderId))?.message.properties.headers ?? {};

  t.equal(headersTo('S-1').traceparent, droppedParent, "an unsampled caller's traceparent, as it came");
  t.equal(headersTo('S-1').baggage, 'tenant=acme', 'and its baggage');
  t.equal(headersTo('S-2').traceparent, undefined, 'no trace begun for a message that came without one');
  const { process, publish } = await spansUnder('b7ad6b7169203331');
  t.equal(process?.spanContext().traceId, sampledTrace, "the process span is the caller's child");
  t.equal(
    headersTo('S-3').traceparent,
    `00-${sampledTrace}-${publish?.spanContext().spanId}-01`,
    'the MES command names the publish span, a child of the process span, as its parent',
  );
  t.equal(headersTo('S-3').baggage, 'tenant=acme', 'the baggage travels on through recorded spans too');
  t.same(
    exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId !== sampledTrace)
      .map((s) => s.name),
    [],
    'no span outside the sampled trace',
  );
});

t.test('a dead letter names the span that published it, or carries a dropped trace on', async (t) => {
  const { peer, amqp } = await startTestGateway(t, { vhost: 'ob-trace-sampled-dlx' });
  const { exchanges, queues } = amqp;
  const letters = await peer.collect(queues.deadLetter);
  const invalid = (orderId: string) => ({ ...crmCreateCommand(orderId), lines: 'not a list' });
  await peer.publish(exchanges.crmCommands, 'order.create', invalid('D-1'), { traceparent: droppedParent });
  await peer.publish(exchanges.crmCommands, 'order.create', invalid('D-2'), {
    traceparent: sampledBy('c7ad6b7169203332'),
  });
  await waitFor(() => letters.length === 2, 5000, 'two dead letters');
  const traceparentOf = (orderId: string) =>
    letters.find((m) => m.message.content.toString().includes(orderId))?.message.properties.headers?.traceparent;
  t.equal(traceparentOf('D-1'), droppedParent, "a dropped delivery's dead letter: the sender's traceparent");
  const { publish } = await spansUnder('c7ad6b7169203332');
  t.match(publish?.name, /^publish orderbridge\.dlx/, 'the dead letter is published in a span of the trace');
  t.equal(traceparentOf('D-2'), `00-${sampledTrace}-${publish?.spanContext().spanId}-01`, 'and names it');
});

t.test('a request the sampler drops makes no span; a sampled caller gets its server span', async (t) => {
  const { gateway } = await startTestGateway(t, { vhost: 'ob-trace-sampled-http', gateway: { http: { port: 0 } } });
  const serverSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  const before = serverSpans().length;
  const get = (headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${gateway.http.port}/healthz`, { headers }).then((response) => response.status);
  t.equal(await get({}), 200);
  t.equal(await get({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' }), 200);
  t.equal(serverSpans().length, before, 'none for a request without a trace, nor for an unsampled caller');
  t.equal(await get({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), 200);
  t.same(
    serverSpans()
      .slice(before)
      .map((s) => [s.name, s.spanContext().traceId, s.parentSpanContext?.spanId]),
    [['GET /healthz', '0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331']],
    "one, the sampled caller's child",
  );
});

t.test("an MES call makes a span only inside a recorded one; else it passes the caller's context on", async (t) => {
  const callHeaders = () =>
    inChildSpan('GET /orders/{id}', { kind: SpanKind.CLIENT }, async (span) => ({
      recorded: span.isRecording(),
      headers: traceHeaders(),
    }));
  const before = exporter.getFinishedSpans().length;
  t.same(
    await callHeaders(),
    { recorded: false, headers: {} },
    'outside any request (housekeeping): no span, no header',
  );
  t.same(
    await inServerSpan('GET', () => ({ traceparent: droppedParent }), callHeaders),
    { recorded: false, headers: { traceparent: droppedParent } },
    "under a dropped request: no span, the caller's traceparent as it came",
  );
  t.equal(exporter.getFinishedSpans().length, before, 'nothing recorded');
  const sampled = await inServerSpan('GET', () => ({ traceparent: sampledBy('d7ad6b7169203333') }), callHeaders);
  const client = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT);
  t.ok(sampled.recorded, 'under a sampled request: a recorded span');
  t.equal(
    sampled.headers.traceparent,
    `00-${sampledTrace}-${client?.spanContext().spanId}-01`,
    'that the MES sees as its parent',
  );
});
