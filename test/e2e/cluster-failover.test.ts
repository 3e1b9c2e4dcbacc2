import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e, type E2eRun } from '../helpers/e2e.js';
import { startPrivateCluster, type PrivateCluster, type PrivateNode } from '../helpers/private-rabbit.js';
import { waitForOutput } from '../helpers/processes.js';

const { dialect, gateway } = loadConfig({ dir: defaultConfigDir, env: {} });
const commandsQueue = gateway.amqp.queues.crmCommands;
/** What the test allows a failover to take, from the kill to /readyz on a surviving node. */
const failoverBoundMs = 10_000;
const orders = 2000;
/** A restarted node (boot, Mnesia and quorum recovery on two busy cores) is back in the cluster within this. */
const rejoinBoundMs = 90_000;

interface Round {
  what: string;
  killed: string;
  /** From the kill -9 to /readyz answering ready again (on a survivor), or undefined if it never stopped being ready. */
  failoverMs?: number;
  nodeBefore: string;
  nodeAfter: string;
  rejoinedMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The node the gateway says it is on, or undefined while it is not ready. */
async function readyNode(run: E2eRun): Promise<string | undefined> {
  try {
    const response = await fetch(`${run.gatewayUrl()}/readyz`);
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { broker?: { node: string } }).broker?.node;
  } catch {
    return undefined;
  }
}

/** Polls /readyz until it names a node that is not `dead`; the time from `since`. */
async function failover(run: E2eRun, dead: string, since: number): Promise<{ node: string; ms: number }> {
  while (Date.now() - since < failoverBoundMs * 3) {
    const node = await readyNode(run);
    if (node && node !== dead) return { node, ms: Date.now() - since };
    await sleep(25);
  }
  throw new Error(`the gateway was not ready on a node other than ${dead} within ${failoverBoundMs * 3} ms`);
}

const addressOf = (node: PrivateNode) => `127.0.0.1:${node.amqpPort}`;

/** kill -9 a node, wait for the gateway to be ready on a survivor, start the node again and wait until the cluster runs it. */
async function killAndRestart(run: E2eRun, cluster: PrivateCluster, victim: PrivateNode, what: string): Promise<Round> {
  const nodeBefore = (await readyNode(run)) ?? '(not ready)';
  const killedAt = Date.now();
  await victim.kill9();
  let failoverMs: number | undefined;
  let nodeAfter = nodeBefore;
  if (nodeBefore === addressOf(victim))
    ({ node: nodeAfter, ms: failoverMs } = await failover(run, nodeBefore, killedAt));
  await victim.start();
  const survivor = cluster.nodes.find((node) => node !== victim)!;
  while (!(await cluster.runningNodes(survivor)).includes(victim.name)) {
    if (Date.now() - killedAt > rejoinBoundMs)
      throw new Error(`${victim.name} did not rejoin within ${rejoinBoundMs} ms`);
    await sleep(200);
  }
  return { what, killed: victim.name, failoverMs, nodeBefore, nodeAfter, rejoinedMs: Date.now() - killedAt };
}

t.test(
  `3-node RabbitMQ cluster, ${orders} orders: kill -9 the gateway's node, then the commands queue's leader — 0 lost, 0 duplicate effects`,
  async (t) => {
    const began = Date.now();
    const cluster = await startPrivateCluster(t, 'cluster', 3);
    t.comment(`3 private nodes started and clustered in ${Date.now() - began} ms`);
    t.equal((await cluster.runningNodes(cluster.nodes[0]!)).length, 3, 'three nodes running in one cluster');
    const rounds: Round[] = [];
    const simulatorLogs: Record<string, () => string> = {};
    const { report, mes, ledger, gatewayLog } = await runE2e(t, {
      amqpUrl: cluster.urls.join(','),
      gateway: { 'amqp.quorumInitialGroupSize': 3 },
      orders,
      rate: 60,
      mes: ['--step-ms', '30'],
      crm: ['--deliver-after-ms', '50'],
      timeoutMs: 150_000,
      during: async (run) => {
        // A simulator whose first connection is cut while it sets up exits (it fails fast by design).
        await waitForOutput(run.crm, /CRM simulator: run/, 20_000);
        await sleep(2000);
        const members = await cluster.nodes[1]!.ctl('list_queues', '--no-table-headers', 'name', 'members');
        t.match(members, new RegExp(`${commandsQueue}\\s+\\[(?:[^,\\]]+,){2}[^,\\]]+\\]`), 'three replicas');
        const onNode = await readyNode(run);
        const connected = cluster.nodes.find((node) => addressOf(node) === onNode);
        if (!connected) throw new Error(`the gateway is not ready on a private node: ${onNode}`);
        rounds.push(await killAndRestart(run, cluster, connected, "the gateway's node"));
        rounds.push(
          await killAndRestart(run, cluster, await cluster.leaderOf(commandsQueue), 'the commands queue leader'),
        );
        Object.assign(simulatorLogs, { crm: run.crm.output, mes: run.mes.output });
      },
    });
    for (const round of rounds) t.comment(JSON.stringify(round));

    const [first, second] = rounds;
    t.ok(first?.failoverMs !== undefined, 'round 1: the gateway lost its node');
    t.ok(first!.failoverMs! < failoverBoundMs, `round 1: ready on a survivor within ${failoverBoundMs} ms`);
    t.not(first!.nodeAfter, first!.nodeBefore, 'round 1: on another node');
    t.ok(
      second?.failoverMs === undefined || second.failoverMs < failoverBoundMs,
      `round 2: ready again within ${failoverBoundMs} ms (if the leader was its node)`,
    );
    t.equal(
      gatewayLog.match(/RabbitMQ reconnected; consumers resumed/g)?.length,
      second?.failoverMs === undefined ? 1 : 2,
      'a reconnect only when its own node died: a leader lost elsewhere moves without one',
    );
    t.notMatch(gatewayLog, /guest:guest/, 'no credentials in the log');
    for (const [name, output] of Object.entries(simulatorLogs))
      t.match(output(), /^reconnected to RabbitMQ at 127\.0\.0\.1:\d+$/m, `the ${name} simulator failed over too`);

    const check = checkRun(report, mes, ledger, dialect);
    t.equal(report.sent, orders);
    t.same(check.lost, [], 'lost: 0');
    t.equal(check.duplicated, 0, 'duplicate effects in the MES: 0');
    t.same(check.unexpected, []);
    t.same(report.unanswered, [], 'every order answered');
    t.same(check.mismatched, []);
    t.comment(`cluster failover test: ${Date.now() - began} ms in all`);
  },
);
