import t from 'tap';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { enableTracing, SpanKind } from '../../src/telemetry/tracing.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';

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

const command = (orderId: string) => ({
  messageId: `crm-${orderId}`,
  type: 'order.create',
  sentAt: new Date().toISOString(),
  orderId,
  partner: 'shop',
  customer: { id: 'C', name: 'C' },
  lines: [{ sku: 'S', quantity: 1 }],
});

t.test('a delivery the sampler drops makes no span and passes its trace context on unchanged', async (t) => {
  const { peer, amqp } = await startTestGateway(t, { vhost: 'ob-trace-sampled' });
  const { exchanges, queues } = amqp;
  const toMes = await peer.collect(queues.mesCommands);
  const sampled = '0af7651916cd43dd8448eb211c80319c';
  const dropped = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  await peer.publish(exchanges.crmCommands, 'order.create', command('S-1'), { traceparent: dropped });
  await peer.publish(exchanges.crmCommands, 'order.create', command('S-2'));
  await peer.publish(exchanges.crmCommands, 'order.create', command('S-3'), {
    traceparent: `00-${sampled}-b7ad6b7169203331-01`,
  });
  await waitFor(() => toMes.length === 3, 5000, 'three MES commands');
  const traceparentTo = (orderId: string) =>
    toMes.find((m) => m.message.content.toString().includes(orderId))?.message.properties.headers?.traceparent;

  t.equal(traceparentTo('S-1'), dropped, "an unsampled caller's traceparent, as it came");
  t.equal(traceparentTo('S-2'), undefined, 'no trace begun for a message that came without one');
  const spans = exporter.getFinishedSpans();
  t.ok(
    spans.every((s) => s.spanContext().traceId === sampled),
    'spans only in the sampled trace',
  );
  const process = spans.find((s) => s.kind === SpanKind.CONSUMER);
  const publish = spans.find((s) => s.kind === SpanKind.PRODUCER);
  t.equal(process?.parentSpanContext?.spanId, 'b7ad6b7169203331', "the process span is the caller's child");
  t.equal(publish?.parentSpanContext?.spanId, process?.spanContext().spanId, 'the publish is its child');
  t.equal(
    traceparentTo('S-3'),
    `00-${sampled}-${publish?.spanContext().spanId}-01`,
    'the MES command names the publish span as its parent',
  );
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
