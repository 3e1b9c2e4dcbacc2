import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/cli/free-port.js';
import { loadConfig } from '../../src/config/index.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e, type E2eRun } from '../helpers/e2e.js';
import { startProcess } from '../helpers/processes.js';
import { parseExposition, sumOf, type Sample } from '../helpers/prometheus-text.js';
import { requireTool } from '../helpers/tools.js';

const { gateway: defaults } = loadConfig({ dir: defaultConfigDir, env: {} });
const { queues, exchanges } = defaults.amqp;
const deploy = resolve(import.meta.dirname, '../../deploy');
const orders = 150;
const runId = 'metricsrun';

/** Every orderbridge_* metric the alert rules and the dashboard query, without histogram suffixes. */
function metricsUsedByDeploy(): string[] {
  const text =
    readFileSync(join(deploy, 'alerts.yml'), 'utf8') +
    readFileSync(join(deploy, 'grafana/orderbridge-dashboard.json'), 'utf8');
  return [
    ...new Set([...text.matchAll(/\b(orderbridge_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''))),
  ].sort();
}

/** Starts Prometheus (`prometheus`: Debian's) scraping the gateway every second; resolves with its API base URL. */
async function startPrometheus(t: Test, prometheus: string, target: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-prometheus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: orderbridge\n    static_configs: [{ targets: ['${target}'] }]\n`,
  );
  const port = await freePort();
  startProcess(
    t,
    'metrics-prometheus',
    prometheus,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    {},
  );
  return `http://127.0.0.1:${port}`;
}

async function queryUntil(
  api: string,
  query: string,
  accept: (value: number) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = Number.NaN;
  while (Date.now() < deadline) {
    try {
      const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
        data?: { result?: { value: [number, string] }[] };
      };
      const value = body.data?.result?.[0]?.value[1];
      last = value === undefined ? Number.NaN : Number(value);
      if (accept(last)) return last;
    } catch {
      // Prometheus not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

t.test('/metrics after an e2e run: the counters moved as the run implies; Prometheus scrapes it', async (t) => {
  const prometheusPath = requireTool(t, 'prometheus'); // on PATH, or $ORDERBRIDGE_PROMETHEUS
  if (prometheusPath === undefined) return;
  t.ok(
    execFileSync(prometheusPath, ['--version'], { encoding: 'utf8' }).includes('prometheus'),
    'Debian prometheus runs',
  );
  let samples: Sample[] = [];
  let scraped = { up: Number.NaN, acks: Number.NaN };
  const { report } = await runE2e(t, {
    orders,
    rate: 150,
    runId,
    mes: ['--step-ms', '20'],
    crm: ['--deliver-after-ms', '50'],
    beforeStop: async (run: E2eRun) => {
      const metricsUrl = new URL(run.metricsUrl());
      const prometheus = await startPrometheus(t, prometheusPath, metricsUrl.host);
      scraped = {
        up: await queryUntil(prometheus, 'up{job="orderbridge"}', (v) => v === 1, 30_000),
        acks: await queryUntil(prometheus, 'sum(orderbridge_ack_latency_seconds_count)', (v) => v === orders, 30_000),
      };
      t.equal((await fetch(`${run.gatewayUrl()}/healthz`)).status, 200, 'a partner-port request, to be counted');
      t.equal((await fetch(`${run.gatewayUrl()}/metrics`)).status, 404, 'no /metrics on the partner port');
      const response = await fetch(metricsUrl);
      t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/, 'the Prometheus text format');
      samples = parseExposition(await response.text());
    },
  });
  t.equal(report.sent, orders, `the CRM sent ${orders} orders`);
  t.equal(report.acknowledged.accepted, orders, 'and heard every acceptance');

  t.equal(
    sumOf(samples, 'orderbridge_messages_consumed_total', { queue: queues.crmCommands, outcome: 'ack' }),
    orders,
    'one CRM command consumed and acked per order',
  );
  t.equal(
    sumOf(samples, 'orderbridge_messages_published_total', { exchange: exchanges.mesCommands, outcome: 'confirmed' }),
    orders,
    'one MES command confirmed per order',
  );
  t.equal(
    sumOf(samples, 'orderbridge_ack_latency_seconds_count', { outcome: 'accepted' }),
    orders,
    'one acknowledgement observed per order',
  );
  t.ok(sumOf(samples, 'orderbridge_ack_latency_seconds_sum') > 0, 'with its latency');
  const delivered = sumOf(samples, 'orderbridge_orders', { status: 'delivered' });
  t.equal(delivered, orders, 'every order delivered, by the orders-by-status gauge');
  t.equal(sumOf(samples, 'orderbridge_commands_unacknowledged'), 0, 'no command waiting');
  t.equal(
    sumOf(samples, 'orderbridge_orders_lost') + sumOf(samples, 'orderbridge_orders_stuck'),
    0,
    'nothing lost or stuck',
  );
  t.equal(sumOf(samples, 'orderbridge_dead_letters_total'), 0, 'no dead letters');
  t.ok(
    sumOf(samples, 'orderbridge_messages_consumed_total', { queue: queues.mesEvents, outcome: 'ack' }) >= orders * 2,
    'MES events consumed: acceptance and more per order',
  );
  t.ok(sumOf(samples, 'orderbridge_ledger_write_seconds_count') > 0, 'ledger commits timed');
  t.ok(sumOf(samples, 'orderbridge_ledger_size_bytes') > 0, 'ledger size known');
  t.equal(sumOf(samples, 'orderbridge_ready'), 1, 'ready');
  t.equal(sumOf(samples, 'orderbridge_mes_breaker_state', { state: 'closed' }), 1, 'breaker closed');
  for (const name of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_gc_duration_seconds_count',
  ]) {
    t.ok(
      samples.some((s) => s.name === name),
      `${name} (default metrics)`,
    );
  }

  const exposed = new Set(samples.map((s) => s.name.replace(/_(bucket|count|sum)$/, '')));
  // Counters and histograms without observations still expose their HELP/TYPE, not samples: only
  // those the run cannot move are allowed to be absent.
  const mayBeEmpty = new Set([
    'orderbridge_dead_letters_total',
    'orderbridge_events_quarantined_total',
    'orderbridge_messages_redelivered_total',
    'orderbridge_ledger_write_errors_total',
    'orderbridge_mes_api_request_duration_seconds',
    'orderbridge_webhook_attempts_total',
  ]);
  const missing = metricsUsedByDeploy().filter((name) => !exposed.has(name) && !mayBeEmpty.has(name));
  t.same(missing, [], 'every metric the alert rules and the dashboard use is exposed');

  // Every order and message id of the run contains the run id.
  const unbounded = samples.flatMap((s) => Object.values(s.labels)).filter((value) => value.includes(runId));
  t.same(unbounded, [], 'no label carries an order or message id');
  t.ok(
    sumOf(samples, 'orderbridge_http_requests_total', { route: '/healthz', method: 'GET', status: '200' }) >= 1,
    'HTTP requests counted by route pattern',
  );

  t.equal(scraped.up, 1, 'Prometheus scraped the gateway: up == 1');
  t.equal(scraped.acks, orders, 'and read the acknowledgements from it');
});
