import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { parseExposition } from '../helpers/prometheus-text.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { requireTool } from '../helpers/tools.js';
import { mesEvent } from '../fixtures/mes-events.js';

// What Prometheus scrapes from a running gateway must pass Prometheus's own linter: `promtool check
// metrics` exits non-zero on any naming or format problem it finds (3 on lint findings).
t.test('promtool check metrics passes on a live /metrics of a running gateway', async (t) => {
  const promtool = requireTool(t, 'promtool'); // on PATH, or $ORDERBRIDGE_PROMTOOL
  if (promtool === undefined) return;
  const { gateway, peer, amqp } = await startTestGateway(t);
  const { exchanges, queues } = amqp;

  // Traffic, so the labelled series exist too: a command forwarded and acknowledged, partner requests.
  const toMes = await peer.collect(queues.mesCommands);
  const orderId = 'ORD-METRICS-1';
  await peer.publish(exchanges.crmCommands, 'order.create', {
    messageId: `crm-${orderId}`,
    type: 'order.create',
    sentAt: new Date().toISOString(),
    orderId,
    partner: 'shop',
    customer: { id: 'C', name: 'C' },
    lines: [{ sku: 'S', quantity: 1 }],
  });
  await waitFor(() => toMes.length === 1, 5000, 'the command forwarded to the MES');
  await peer.publish(
    exchanges.mesEvents,
    'ORDER_STATE_CHANGED',
    mesEvent('ACCEPTED', {
      orderId,
      eventId: 'evt-metrics-1',
      at: new Date().toISOString(),
      correlationId: mesCommandId(`crm-${orderId}`),
    }),
  );
  const partnerApi = `http://127.0.0.1:${gateway.http.port}`;
  t.equal((await fetch(`${partnerApi}/healthz`)).status, 200);
  t.equal((await fetch(`${partnerApi}/v1/orders/${orderId}`)).status, 401, 'no key');

  const scrape = async () => (await fetch(`http://127.0.0.1:${gateway.metricsHttp.port}/metrics`)).text();
  await waitFor(
    async () => /^orderbridge_ack_latency_seconds_count\{[^}]*\} 1$/m.test(await scrape()),
    5000,
    'the acknowledgement observed',
  );
  const text = await scrape();
  const names = new Set(parseExposition(text).map((s) => s.name));
  for (const name of [
    'orderbridge_messages_consumed_total',
    'orderbridge_http_requests_total',
    'orderbridge_orders',
    'process_cpu_seconds_total',
    'nodejs_eventloop_lag_p99_seconds',
  ])
    t.ok(names.has(name), `${name} is exposed`);

  const checked = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(checked.status, 0, `promtool check metrics exit code; it said: ${checked.stdout}${checked.stderr}`);
  t.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'no finding');
});
