import t from 'tap';
import { propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { core, NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { tracingEnabled } from '../../src/telemetry/tracing.js';
import { mesEvent } from '../fixtures/mes-events.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';

// An SDK is registered in this process, as a host application might do, but the gateway's tracing
// is off (nothing called enableTracing): it must make no span and touch no trace context. The SDK
// would record any span made through the OpenTelemetry API, and the propagator counts every
// inject and extract.
const exporter = new tracing.InMemorySpanExporter();
const sdk = new NodeSDK({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)], instrumentations: [] });
sdk.start();
const w3c = new core.W3CTraceContextPropagator();
const propagatorCalls = { inject: 0, extract: 0 };
propagation.disable();
propagation.setGlobalPropagator({
  inject(context: Context, carrier: unknown, setter: TextMapSetter) {
    propagatorCalls.inject++;
    w3c.inject(context, carrier, setter);
  },
  extract(context: Context, carrier: unknown, getter: TextMapGetter) {
    propagatorCalls.extract++;
    return w3c.extract(context, carrier, getter);
  },
  fields: () => w3c.fields(),
});
t.teardown(() => sdk.shutdown());

t.test('with tracing off no span is made and no trace context is read or written, on AMQP and HTTP', async (t) => {
  t.notOk(tracingEnabled(), 'tracing is off');
  const { gateway, peer, amqp } = await startTestGateway(t, { vhost: 'ob-tracing-off' });
  const { exchanges, queues } = amqp;
  const [toMes, toCrm] = [await peer.collect(queues.mesCommands), await peer.collect(queues.crmOrderEvents)];
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await peer.publish(
    exchanges.crmCommands,
    'order.create',
    {
      messageId: 'crm-O-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'O-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    },
    { traceparent },
  );
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  const accepted = mesEvent('ACCEPTED', {
    orderId: 'O-1',
    eventId: 'E-1',
    at: new Date().toISOString(),
    correlationId: mesCommandId('crm-O-1'),
  });
  await peer.publish(exchanges.mesEvents, 'ORDER_ACCEPTED', accepted, { traceparent });
  await waitFor(() => toCrm.length === 2, 5000, 'the acknowledgement and the status change');
  const base = `http://127.0.0.1:${gateway.http.port}`;
  for (const path of ['/healthz', '/readyz', '/orders/O-1', '/openapi.json'])
    await (await fetch(`${base}${path}`, { headers: { traceparent } })).arrayBuffer();
  await gateway.watchdog.tick();

  t.same(exporter.getFinishedSpans(), [], 'no span');
  t.same(propagatorCalls, { inject: 0, extract: 0 }, 'no trace context injected or extracted');
  t.equal(
    toMes[0]!.message.properties.headers?.traceparent,
    traceparent,
    "the caller's traceparent passed on as it was",
  );
});
