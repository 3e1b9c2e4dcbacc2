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
  return path === undefined
    ? undefined
    : (...args: string[]) =>
        execFileSync(path, args, { cwd: deploy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

interface RuleGroups {
  groups: { rules: { alert: string; annotations?: Record<string, string> }[] }[];
}

const alertRules = () =>
  (parse(readFileSync(join(deploy, 'alerts.yml'), 'utf8')) as RuleGroups).groups.flatMap((g) => g.rules);
const runbooks = () => readFileSync(join(deploy, 'runbooks.md'), 'utf8');

interface Dashboard {
  __inputs?: { name: string; type: string; pluginId: string }[];
  templating: {
    list: {
      name: string;
      type: string;
      query?: unknown;
      datasource?: unknown;
      includeAll?: boolean;
      multi?: boolean;
    }[];
  };
  panels: { type: string; title: string; datasource?: unknown; targets?: { expr: string; datasource?: unknown }[] }[];
}
const dashboard = () =>
  JSON.parse(readFileSync(join(deploy, 'grafana/orderbridge-dashboard.json'), 'utf8')) as Dashboard;

t.test('alert rules: promtool checks them, and its unit tests cover every alert', async (t) => {
  const promtool = promtoolFor(t);
  if (!promtool) return;
  t.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: \d+ rules found/);
  t.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  const alerts = alertRules();
  const tested = new Set(
    [...readFileSync(join(deploy, 'alerts.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
  );
  t.same(
    alerts.filter((a) => !tested.has(a.alert)).map((a) => a.alert),
    [],
    'every alert has a promtool test',
  );
});

t.test('every alert has a summary, a description and a runbook_url to its section of deploy/runbooks.md', async (t) => {
  const alerts = alertRules();
  for (const annotation of ['summary', 'description', 'runbook_url']) {
    t.same(
      alerts.filter((a) => !a.annotations?.[annotation]?.trim()).map((a) => a.alert),
      [],
      `every alert has ${annotation}`,
    );
  }
  // GitHub's anchors: the heading lower-cased, spaces to dashes, other punctuation dropped.
  const sections = [...runbooks().matchAll(/^## (.+)$/gm)].map((m) =>
    m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-'),
  );
  for (const { alert, annotations } of alerts) {
    const url = new URL(annotations!.runbook_url!);
    t.equal(url.protocol, 'https:', `${alert}: an absolute https URL`);
    t.match(url.pathname, /\/deploy\/runbooks\.md$/, `${alert}: points at deploy/runbooks.md`);
    t.ok(sections.includes(url.hash.slice(1)), `${alert}: runbooks.md has the section ${url.hash}`);
  }
  t.same(
    sections.filter((s) => !alerts.some((a) => a.alert.toLowerCase() === s)),
    [],
    "every runbook section is an alert's",
  );
});

t.test('every queue and exchange deploy/ names is one config/gateway.yaml declares', async (t) => {
  const { amqp } = loadConfig({ dir: defaultConfigDir, env: {} }).gateway;
  const declared = new Set([...Object.values(amqp.queues), ...Object.values(amqp.exchanges)]);
  // A name is dotted and starts as one of the declared ones does (crm., mes., orderbridge., …); file names are not names.
  const prefixes = [...new Set([...declared].map((name) => name.split('.')[0]!))];
  const namesIn = (text: string) =>
    [...text.matchAll(new RegExp(`\\b(?:${prefixes.join('|')})\\.[a-z0-9]+(?:[.-][a-z0-9]+)*`, 'g'))]
      .map((m) => m[0])
      .filter((name) => !/\.(ya?ml|json|md|js|ts|db)$/.test(name));
  const texts: [string, string][] = [
    // Every annotation but the runbook URL: what an on-call engineer reads.
    ...alertRules().flatMap((a) =>
      Object.entries(a.annotations ?? {})
        .filter(([key]) => key !== 'runbook_url')
        .map(([key, text]) => [`alerts.yml ${a.alert} ${key}`, text] as [string, string]),
    ),
    ['runbooks.md', runbooks()],
    ['grafana/orderbridge-dashboard.json', JSON.stringify(dashboard().panels)],
  ];
  let checked = 0;
  for (const [where, text] of texts) {
    for (const name of namesIn(text)) {
      checked++;
      t.ok(declared.has(name), `${where}: ${name} is a declared queue or exchange`);
    }
  }
  t.ok(checked >= 10, `${checked} names checked`);
});

t.test('the Prometheus config is valid and every dashboard query is valid PromQL', async (t) => {
  const promtool = promtoolFor(t);
  if (!promtool) return;
  t.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS/);
  const exprs = dashboard()
    .panels.filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((target) => ({ title: p.title, expr: target.expr })));
  t.ok(exprs.length >= 20, `${exprs.length} queries`);
  // promtool parses PromQL only inside rule files: check each query as a recording rule.
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-dashboard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = {
    groups: [
      {
        name: 'dashboard',
        rules: exprs.map(({ expr }, i) => ({
          record: `dashboard:query_${i}`,
          expr: expr.replaceAll('$__rate_interval', '5m'),
        })),
      },
    ],
  };
  writeFileSync(join(dir, 'dashboard-queries.yml'), JSON.stringify(rules));
  t.match(
    promtool('check', 'rules', join(dir, 'dashboard-queries.yml')),
    new RegExp(`SUCCESS: ${exprs.length} rules found`),
  );
});

t.test('Prometheus scrapes the gateway on its metrics listener, never on the partner port', async (t) => {
  const { gateway } = loadConfig({ dir: defaultConfigDir, env: {} });
  const listener = metricsListener(gateway);
  t.equal(listener.host, '127.0.0.1', 'loopback by default');
  t.not(listener.port, gateway.http.port);
  const prometheus = parse(readFileSync(join(deploy, 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = prometheus.scrape_configs
    .find((job) => job.job_name === 'orderbridge')!
    .static_configs.flatMap((c) => c.targets);
  t.same(
    [...new Set(targets.map((target) => Number(target.split(':').at(-1))))],
    [listener.port],
    'the metrics port, on every replica',
  );
  // merge: the replicas share their settings through a YAML anchor (<<).
  const compose = parse(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
  };
  const gateways = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'serve');
  t.ok(gateways.length > 0);
  for (const [name, service] of gateways) {
    t.equal(
      service.environment?.ORDERBRIDGE_METRICS_HOST,
      '0.0.0.0',
      `${name}: reachable by Prometheus on the compose network`,
    );
    t.notOk(
      service.ports?.some((port) => port.includes(String(listener.port))),
      `${name}: but not published to the host`,
    );
  }
});

t.test(
  'the dashboard imports into any Grafana: its data source is a variable, its queries follow job and instance',
  async (t) => {
    const board = dashboard();
    t.match(
      board.__inputs,
      [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }],
      'asks for the Prometheus data source on import (__inputs)',
    );
    const variables = Object.fromEntries(board.templating.list.map((v) => [v.name, v]));
    t.match(
      variables.DS_PROMETHEUS,
      { type: 'datasource', query: 'prometheus' },
      'and as a variable when provisioned from a file',
    );
    const datasource = { type: 'prometheus', uid: grafanaVariable('DS_PROMETHEUS') };
    for (const name of ['job', 'instance']) {
      t.match(variables[name], { type: 'query', datasource }, `a ${name} variable read from that data source`);
      t.match(JSON.stringify(variables[name]?.query ?? null), /label_values\(/, `${name}: its values are the label's`);
    }
    t.match(variables.instance, { includeAll: true, multi: true }, 'one instance, several or all');
    // Every datasource reference anywhere in the file is the variable: no hard-coded uid.
    const refs: unknown[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object')
        for (const [key, value] of Object.entries(node)) key === 'datasource' ? refs.push(value) : walk(value);
    };
    walk(board.panels);
    walk(board.templating.list.filter((v) => v.type !== 'datasource'));
    t.ok(refs.length >= 20, `${refs.length} datasource references`);
    t.same(
      refs.filter((ref) => JSON.stringify(ref) !== JSON.stringify(datasource)),
      [],
      `each is ${grafanaVariable('DS_PROMETHEUS')}`,
    );
    // Every metric a query selects is scoped to the chosen job and instances.
    for (const panel of board.panels) {
      for (const { expr } of panel.targets ?? []) {
        const selectors = [...expr.matchAll(/\b((?:orderbridge|process|nodejs)_\w+)(\{[^}]*\})?/g)];
        t.ok(selectors.length > 0, `${panel.title}: selects a metric`);
        for (const [selector, , matchers = ''] of selectors) {
          t.ok(
            matchers.includes('job="$job"') && matchers.includes('instance=~"$instance"'),
            `${panel.title}: ${selector} has job="$job" and instance=~"$instance"`,
          );
        }
      }
    }
  },
);

/** Grafana's ${NAME} reference to a dashboard variable or __inputs entry. */
function grafanaVariable(name: string): string {
  return `\${${name}}`;
}
