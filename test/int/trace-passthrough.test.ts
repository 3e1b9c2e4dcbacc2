import t from 'tap';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { tracingRequested } from '../../src/telemetry/otel-env.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { mesEvent } from '../fixtures/mes-events.js';

// No OpenTelemetry SDK in this process: tracing is off, as by default.

t.test('tracing is requested only by the OTEL_* variables that name an exporter', async (t) => {
  t.notOk(tracingRequested({}), 'off by default');
  t.ok(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' }));
  t.ok(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }));
  t.ok(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }));
  t.notOk(
    tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    'none wins over an endpoint',
  );
  t.notOk(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }), 'OTEL_SDK_DISABLED wins');
});

t.test("with tracing off the caller's traceparent still travels on, both ways", async (t) => {
  const { peer, amqp } = await startTestGateway(t, { vhost: 'ob-trace-off' });
  const { exchanges, queues } = amqp;
  const [toMes, toCrm] = [await peer.collect(queues.mesCommands), await peer.collect(queues.crmOrderEvents)];
  const crmTrace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const mesTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  await peer.publish(
    exchanges.crmCommands,
    'order.create',
    {
      messageId: 'crm-T-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'T-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    },
    { traceparent: crmTrace },
  );
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  t.equal(toMes[0]!.message.properties.headers?.traceparent, crmTrace, "CRM → MES: the CRM's traceparent");

  await peer.publish(
    exchanges.mesEvents,
    'ORDER_ACCEPTED',
    mesEvent('ACCEPTED', {
      orderId: 'T-1',
      eventId: 'E-1',
      at: new Date().toISOString(),
      correlationId: mesCommandId('crm-T-1'),
    }),
    { traceparent: mesTrace },
  );
  await waitFor(() => toCrm.length > 0, 5000, 'the order event');
  t.ok(
    toCrm.every((m) => m.message.properties.headers?.traceparent === mesTrace),
    "MES → CRM: the MES's traceparent",
  );
});
