import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { brokerUrls, loadConfig } from '../../src/config/index.js';
import { parseCrmArgs } from '../../sim/crm/options.js';
import { parseMesArgs } from '../../sim/mes/options.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { requireTool } from '../helpers/tools.js';

// deploy/docker-compose.yml as Debian's docker-compose reads it (`config`: validated, paths and
// defaults resolved): the stack it brings up is complete, pinned, and wired as the gateway needs.
const root = resolve(import.meta.dirname, '../..');
const composeFile = join(root, 'deploy/docker-compose.yml');
const composeGateway = join(root, 'deploy/docker-compose.gateway.yaml');

interface Service {
  image?: string;
  hostname?: string;
  profiles?: string[];
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: { published: number; target: number }[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/**
 * A full version (1.2.3, v3.5.0, 4.1.4-management; PostgreSQL's are major.minor, 15.10) or a digest:
 * never a moving tag.
 */
const pinned =
  /^(?:[\w./-]+(?::v?\d+\.\d+\.\d+(?:-[\w.-]+)?(?:@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})|postgres:\d+\.\d+(?:-[\w.-]+)?)$/;

t.test('docker-compose config validates the compose file; every service is there, every image pinned', async (t) => {
  const dockerCompose = requireTool(t, 'docker-compose');
  if (!dockerCompose) return;
  const output = execFileSync(dockerCompose, ['-f', composeFile, 'config'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { services } = parse(output) as { services: Record<string, Service> };
  t.same(Object.keys(services).sort(), [
    'crm-sim',
    'grafana',
    'mes-sim',
    'orderbridge',
    'orderbridge-2',
    'postgres',
    'prometheus',
    'rabbitmq',
    'rabbitmq-2',
    'rabbitmq-3',
  ]);
  for (const [name, service] of Object.entries(services)) {
    if (service.build)
      t.equal(
        service.build.context,
        root,
        `${name}: built from this repository's Dockerfile (its base images: test/unit/dockerfile.test.ts)`,
      );
    else t.match(service.image, pinned, `${name}: ${service.image} is pinned`);
  }

  const byCommand = (first: string, second?: string) =>
    Object.entries(services).filter(
      ([, s]) => s.command?.[0] === first && (second === undefined || s.command[1] === second),
    );
  const gateways = byCommand('serve');
  const [gateway] = gateways;
  const [mes] = byCommand('sim', 'mes');
  const [crm] = byCommand('sim', 'crm');
  t.ok(gateway && mes && crm, 'the gateway, the MES simulator and the CRM simulator run from the image');
  if (!gateway || !mes || !crm) return;
  const rabbitmq = Object.entries(services).find(([, s]) => s.image?.startsWith('rabbitmq:') && !s.profiles);
  const nodes = Object.keys(services).filter((name) => services[name]!.image?.startsWith('rabbitmq:'));
  for (const [name, service] of [...gateways, mes, crm]) {
    t.same(
      service.environment!.AMQP_URL!.split(',').map((url) => new URL(url).host),
      [rabbitmq![0], ...nodes.filter((node) => node !== rabbitmq![0])].map((node) => `${node}:5672`),
      `${name}: reaches every RabbitMQ node by its service name, the one of the default profile first`,
    );
    t.ok(
      service.depends_on?.[service.command?.[0] === 'serve' ? rabbitmq![0] : gateway[0]],
      `${name}: starts after what it needs`,
    );
  }

  // Two replicas on one PostgreSQL ledger, each scraped by Prometheus.
  t.equal(gateways.length, 2, 'two gateway replicas');
  const [postgresName, postgres] = Object.entries(services).find(([, s]) => s.image?.startsWith('postgres:'))!;
  const { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: database } = postgres.environment!;
  const scraped = (
    parse(readFileSync(join(root, 'deploy/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }
  ).scrape_configs
    .filter((job) => job.job_name === 'orderbridge')
    .flatMap((job) => job.static_configs.flatMap((c) => c.targets));
  for (const [name, service] of gateways) {
    const ledger = new URL(service.environment!.DATABASE_URL!);
    t.same(
      [ledger.hostname, ledger.username, ledger.password, ledger.pathname],
      [postgresName, user, password, `/${database}`],
      `${name}: its ledger is the ${postgresName} service's database`,
    );
    t.ok(service.depends_on?.[postgresName], `${name}: starts after PostgreSQL`);
    t.ok(scraped.includes(`${name}:9464`), `${name}: Prometheus scrapes its /metrics`);
  }
  t.equal(scraped.length, gateways.length, 'Prometheus scrapes every replica, and nothing else as orderbridge');

  // The MES simulator listens on all interfaces at the port the gateway's MES_API_URL names.
  const mesSettings = parseMesArgs(mes[1].command!.slice(2), {});
  t.not(mesSettings, 'help');
  if (mesSettings === 'help') return;
  t.equal(mesSettings.host, '0.0.0.0', 'the MES API is reachable from other containers');
  t.equal(
    gateway[1].environment?.MES_API_URL,
    `http://${mes[0]}:${mesSettings.port}`,
    'mesApi.baseUrl (MES_API_URL) is the MES simulator',
  );
  const crmSettings = parseCrmArgs(crm[1].command!.slice(2), {});
  t.not(crmSettings, 'help', 'the CRM simulator options parse');

  // The demo keys the compose file documents are the ones its gateway config holds; the CRM's partner is one of them.
  const keys = [
    ...readFileSync(composeFile, 'utf8').matchAll(/^#.*Authorization: Bearer ([\x21-\x26\x28-\x7e]{16,256})'/gm),
  ].map((m) => m[1]!);
  t.equal(keys.length, 2, 'a partner key and an operator key are documented');
  const mounted = gateway[1].volumes?.find((v) => v.endsWith(':/app/config/gateway.yaml:ro'));
  t.equal(mounted?.split(':')[0], composeGateway, 'the gateway runs with deploy/docker-compose.gateway.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-compose-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(defaultConfigDir, dir, { recursive: true });
  writeFileSync(join(dir, 'gateway.yaml'), readFileSync(composeGateway));
  const config = loadConfig({ dir, env: gateway[1].environment ?? {} });
  t.equal(config.gateway.mesApi.baseUrl, `http://${mes[0]}:${mesSettings.port}`);
  const partners = keys.map((key) =>
    config.gateway.partners.find((p) => p.apiKeySha256 === createHash('sha256').update(key).digest('hex')),
  );
  t.same(
    partners.map((p) => p?.role ?? (p ? 'partner' : 'none')),
    ['partner', 'operator'],
    'each documented key opens the API, one as a partner, one as an operator',
  );
  if (crmSettings !== 'help')
    t.equal(partners[0]?.id, crmSettings.partner, "the partner key sees the CRM simulator's orders");
});

t.test(
  'profile "cluster": three RabbitMQ nodes with one cookie join one cluster; quorum queues grow to three',
  async (t) => {
    const dockerCompose = requireTool(t, 'docker-compose');
    if (!dockerCompose) return;
    const output = execFileSync(dockerCompose, ['-f', composeFile, '--profile', 'cluster', 'config'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { services } = parse(output) as { services: Record<string, Service> };
    const nodes = Object.entries(services).filter(([, s]) => s.image?.startsWith('rabbitmq:'));
    t.equal(nodes.length, 3);
    const [seed, ...joining] = nodes;
    t.notOk(seed![1].profiles, `${seed![0]} runs in every profile`);
    const conf = (name: string) =>
      readFileSync(join(root, 'deploy/rabbitmq', name), 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('#'));
    const peers = conf('join-cluster.conf')
      .filter((line) => line.startsWith('cluster_formation.classic_config.nodes.'))
      .map((line) => line.split('=')[1]!.trim());
    t.same(
      peers,
      nodes.map(([, s]) => `rabbit@${s.hostname}`),
      'the peers are the nodes, by their hostnames',
    );
    t.match(conf('quorum-queues.conf'), [
      'quorum_queue.continuous_membership_reconciliation.enabled = true',
      `quorum_queue.continuous_membership_reconciliation.target_group_size = ${nodes.length}`,
    ]);
    const mounts = (service: Service) => (service.volumes ?? []).map((v) => v.split(':')[1]);
    for (const [name, service] of nodes) {
      t.equal(service.hostname, name, `${name}: node rabbit@${name}, the name its peers know`);
      t.equal(service.command, seed![1].command, `${name}: the same Erlang cookie as ${seed![0]}`);
      t.ok(mounts(service).includes('/etc/rabbitmq/conf.d/20-quorum-queues.conf'), `${name}: grows quorum queues`);
    }
    for (const [name, service] of joining) {
      t.same(service.profiles, ['cluster'], `${name}: only in the cluster profile`);
      t.ok(mounts(service).includes('/etc/rabbitmq/conf.d/30-join-cluster.conf'), `${name}: joins ${seed![0]}`);
      t.ok(service.depends_on?.[seed![0]], `${name}: starts once ${seed![0]} is healthy`);
    }
    t.notOk(mounts(seed![1]).includes('/etc/rabbitmq/conf.d/30-join-cluster.conf'), `${seed![0]} seeds the cluster`);

    const gateway = Object.values(services).find((s) => s.command?.[0] === 'serve')!;
    const dir = mkdtempSync(join(tmpdir(), 'orderbridge-compose-config-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(defaultConfigDir, dir, { recursive: true });
    writeFileSync(join(dir, 'gateway.yaml'), readFileSync(composeGateway));
    const { amqp } = loadConfig({ dir, env: gateway.environment ?? {} }).gateway;
    t.same(
      brokerUrls(amqp).map((url) => new URL(url).host),
      nodes.map(([name]) => `${name}:5672`),
      'the gateway fails over between the three nodes',
    );
  },
);

t.test("the compose stack's gateway.yaml is config/gateway.yaml but for its demo partners", async (t) => {
  const shipped = parse(readFileSync(join(defaultConfigDir, 'gateway.yaml'), 'utf8')) as Record<string, unknown>;
  const compose = parse(readFileSync(composeGateway, 'utf8')) as Record<string, unknown>;
  const { partners: _shipped, ...shippedRest } = shipped;
  const { partners: _compose, ...composeRest } = compose;
  t.same(composeRest, shippedRest, 'every other setting as shipped (change both files together)');
});
