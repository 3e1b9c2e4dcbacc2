import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { freePort } from '../../src/cli/free-port.js';
import { alive, tailOf } from './detached-process.js';

// RabbitMQ nodes of a test's own: own node name, AMQP and distribution ports, data and log
// folders, Erlang cookie and config, all under one temporary folder. They are started with
// `rabbitmq-server -detached`, stopped by the PID of their Erlang VM, and never touch the
// machine's shared broker (rabbit@localhost on 5672), which other tests and users keep using. They
// register with the machine's epmd, as every Erlang node on it does; that is all they share.

const run = promisify(execFile);

/**
 * Where the real rabbitmq-server and rabbitmqctl scripts are. Debian's /usr/sbin ones are wrappers
 * that switch to the rabbitmq user and drop the environment this helper sets.
 */
function rabbitmqBin(): string {
  const dir = process.env.ORDERBRIDGE_RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
  if (!existsSync(join(dir, 'rabbitmq-server')))
    throw new Error(`no rabbitmq-server in ${dir}: install rabbitmq-server, or set ORDERBRIDGE_RABBITMQ_BIN`);
  return dir;
}

export interface PrivateNode {
  /** The Erlang node name, e.g. ob-cluster-1234-1@localhost. */
  name: string;
  amqpPort: number;
  /** amqp://guest:guest@127.0.0.1:<amqpPort> */
  url: string;
  /** The node's Erlang VM, while it runs. */
  pid?: number;
  /** Starts the node (again, with its data: it rejoins its cluster) and waits until it serves. */
  start(): Promise<void>;
  /** SIGKILL to the node's VM: no goodbye to its peers or clients. Resolves once it is gone. */
  kill9(): Promise<void>;
  /** rabbitmqctl -n <this node> <args>: its output. */
  ctl(...args: string[]): Promise<string>;
}

export interface PrivateCluster {
  nodes: PrivateNode[];
  /** Every node's URL, in order: what AMQP_URL takes, comma-separated. */
  urls: string[];
  /** The node that runs the leader of a quorum queue (asked of a running node). */
  leaderOf(queue: string): Promise<PrivateNode>;
  /** The nodes the cluster reports running, asked of `via`. */
  runningNodes(via: PrivateNode): Promise<string[]>;
}

const startTimeoutSec = 120;

/** One private RabbitMQ node, removed with its data at the test's end (however it ends). */
export async function startPrivateRabbit(t: Test, tag: string): Promise<PrivateNode> {
  const [node] = (await startPrivateCluster(t, tag, 1)).nodes;
  return node!;
}

/** `size` private nodes joined into one cluster (rabbitmqctl join_cluster), all removed at the test's end. */
export async function startPrivateCluster(t: Test, tag: string, size: number): Promise<PrivateCluster> {
  const base = mkdtempSync(join(tmpdir(), `ob-rabbit-${tag}-`));
  const home = join(base, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
  writeFileSync(join(base, 'rabbitmq-env.conf'), '');
  writeFileSync(join(base, 'enabled_plugins'), '[].\n');
  const nodes: PrivateNode[] = [];
  t.teardown(async () => {
    await Promise.all(nodes.map((node) => node.kill9()));
    keepLogs(base);
    rmSync(base, { recursive: true, force: true });
  });
  for (let i = 1; i <= size; i++) nodes.push(await privateNode(base, home, `ob-${tag}-${process.pid}-${i}`));
  await Promise.all(nodes.map((node) => node.start()));
  const [first, ...others] = nodes;
  for (const node of others) {
    await node.ctl('stop_app');
    await node.ctl('join_cluster', first!.name);
    await node.ctl('start_app');
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async leaderOf(queue) {
      const via = nodes.find((node) => node.pid !== undefined)!;
      const lines = (await via.ctl('list_queues', '--no-table-headers', 'name', 'leader')).split('\n');
      const leader = lines.map((line) => line.split(/\s+/)).find(([name]) => name === queue)?.[1];
      const found = nodes.find((node) => node.name === leader);
      if (!found) throw new Error(`no leader of ${queue} among the private nodes:\n${lines.join('\n')}`);
      return found;
    },
    async runningNodes(via) {
      const status = JSON.parse(await via.ctl('cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
      return status.running_nodes;
    },
  };
}

async function privateNode(base: string, home: string, id: string): Promise<PrivateNode> {
  const dir = join(base, id);
  mkdirSync(join(dir, 'log'), { recursive: true });
  const amqpPort = await freePort();
  const config = join(dir, 'rabbitmq.conf');
  writeFileSync(config, `listeners.tcp.default = 127.0.0.1:${amqpPort}\n`);
  const name = `${id}@localhost`;
  const pidFile = join(dir, 'node.pid');
  const bin = rabbitmqBin();
  const env = {
    ...process.env,
    HOME: home,
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: pidFile,
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const ctl = async (...args: string[]) =>
    (
      await run(join(bin, 'rabbitmqctl'), ['-q', '-n', name, ...args], {
        env,
        timeout: startTimeoutSec * 1000,
        encoding: 'utf8',
      })
    ).stdout;
  const node: PrivateNode = {
    name,
    amqpPort,
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    async start() {
      rmSync(pidFile, { force: true });
      await run(join(bin, 'rabbitmq-server'), ['-detached'], { env, timeout: 30_000 });
      await ctl('wait', pidFile, '--timeout', String(startTimeoutSec)).catch((error: unknown) => {
        throw new Error(`${name} did not start: ${String(error)}\n${tailOf(join(dir, 'log', `${name}.log`))}`);
      });
      node.pid = pidIn(pidFile);
    },
    async kill9() {
      // A node whose start failed half-way has written its pid file only: it goes too.
      const pid = node.pid ?? pidIn(pidFile);
      node.pid = undefined;
      rmSync(pidFile, { force: true });
      if (pid === undefined || !alive(pid)) return;
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    ctl,
  };
  return node;
}

/** The nodes' logs go to test-artifacts/<folder>/<node>/, with the other processes' logs; their data does not. */
function keepLogs(base: string): void {
  const artifacts = resolve(import.meta.dirname, '../../test-artifacts', basename(base));
  for (const entry of readdirSync(base, { withFileTypes: true }))
    if (entry.isDirectory() && existsSync(join(base, entry.name, 'log')))
      cpSync(join(base, entry.name, 'log'), join(artifacts, entry.name), { recursive: true });
}

function pidIn(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}
