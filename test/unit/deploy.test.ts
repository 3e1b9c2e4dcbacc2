import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { metricsListener } from '../../src/adapters/http/metrics-app.js';
import { loadConfig } from '../../src/config/index.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { requireTool } from '../helpers/tools.js';

const deploy = resolve(import.meta.dirname, '../../deploy');
/** promtool (on PATH, or $ORDERBRIDGE_PROMTOOL) for this test; undefined (the test failed with one line) if it is missing. */
const promtoolFor = (t: Test) => {
  const path = requireTool(t, 'promtool');
  return path === undefined ? undefined : (...args: string[]) => execFileSync(path, args, { cwd: deploy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

interface RuleGroups {
  groups: { rules: { alert: string; annotations?: Record<string, string> }[] }[];
}

t.test('alert rules: promtool checks them, and its unit tests cover every alert', async (t) => {
  const promtool = promtoolFor(t);
  if (!promtool) return;
  t.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: \d+ rules found/);
  t.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  const alerts = (parse(readFileSync(join(deploy, 'alerts.yml'), 'utf8')) as RuleGroups).groups.flatMap((g) => g.rules);
  const tested = new Set([...readFileSync(join(deploy, 'alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  t.same(alerts.filter((a) => !tested.has(a.alert)).map((a) => a.alert), [], 'every alert has a promtool test');
  t.same(alerts.filter((a) => !a.annotations?.runbook).map((a) => a.alert), [], 'every alert has a runbook line');
});

t.test('the Prometheus config is valid and every dashboard query is valid PromQL', async (t) => {
  const promtool = promtoolFor(t);
  if (!promtool) return;
  t.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS/);
  const dashboard = JSON.parse(readFileSync(join(deploy, 'grafana/orderbridge-dashboard.json'), 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((target) => ({ title: p.title, expr: target.expr })));
  t.ok(exprs.length >= 20, `${exprs.length} queries`);
  // promtool parses PromQL only inside rule files: check each query as a recording rule.
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-dashboard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = { groups: [{ name: 'dashboard', rules: exprs.map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll('$__rate_interval', '5m') })) }] };
  writeFileSync(join(dir, 'dashboard-queries.yml'), JSON.stringify(rules));
  t.match(promtool('check', 'rules', join(dir, 'dashboard-queries.yml')), new RegExp(`SUCCESS: ${exprs.length} rules found`));
});

t.test('Prometheus scrapes the gateway on its metrics listener, never on the partner port', async (t) => {
  const { gateway } = loadConfig({ dir: defaultConfigDir, env: {} });
  const listener = metricsListener(gateway);
  t.equal(listener.host, '127.0.0.1', 'loopback by default');
  t.not(listener.port, gateway.http.port);
  const prometheus = parse(readFileSync(join(deploy, 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
  const targets = prometheus.scrape_configs.find((job) => job.job_name === 'orderbridge')!.static_configs.flatMap((c) => c.targets);
  t.same(targets.map((target) => Number(target.split(':').at(-1))), [listener.port], 'the metrics port');
  const compose = parse(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string>; ports?: string[] }> };
  const service = compose.services.orderbridge!;
  t.equal(service.environment?.ORDERBRIDGE_METRICS_HOST, '0.0.0.0', 'reachable by Prometheus on the compose network');
  t.notOk(service.ports?.some((port) => port.includes(String(listener.port))), 'but not published to the host');
});
