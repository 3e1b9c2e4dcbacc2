import t from 'tap';
import { execFileSync } from 'node:child_process';
import { Broker, BrokerUnreachableError } from '../../src/adapters/rabbitmq/broker.js';
import { ClusterConnection } from '../../src/adapters/rabbitmq/cluster-connection.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';

// The machine's one RabbitMQ stands in for a cluster here: a refused port is a dead node, and
// 127.0.0.1 and localhost are two names of one node, so the order of connection is visible.
// test/e2e/cluster-failover.test.ts runs a real three-node cluster.
const deadNode = 'amqp://guest:s3cret@127.0.0.1:1';
const backoff = { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 0 };

/** Has the broker close our connection (CONNECTION_FORCED, as a node that shuts down) without touching anyone else's. */
function closeConnectionNamed(name: string): void {
  const lines = execFileSync(
    'rabbitmqctl',
    ['-q', '--no-table-headers', 'list_connections', 'pid', 'client_properties'],
    {
      encoding: 'utf8',
    },
  ).split('\n');
  const pid = lines.find((line) => line.includes(name))?.split(/\s/)[0];
  if (!pid) throw new Error(`no connection named ${name}`);
  execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by cluster-connection.test']);
}

t.test('the broker connects to the first node that answers, and says which', async (t) => {
  const vhost = await createVhost('ob-cluster-conn');
  const { config, remove } = testConfig({ amqpUrl: vhost.url });
  t.teardown(async () => {
    await vhost.remove();
    remove();
  });
  const broker = new Broker({ urls: [deadNode, vhost.url], amqp: config.gateway.amqp, logger: silentLogger });
  t.teardown(() => broker.close());
  await broker.start();
  t.equal(broker.node, '127.0.0.1:5672');
  t.ok(broker.connected);
});

t.test('no node answers: one error naming every node by host and port, never a password', async (t) => {
  const { config, remove } = testConfig();
  t.teardown(remove);
  const broker = new Broker({
    urls: [deadNode, 'amqp://guest:s3cret@localhost:2'],
    amqp: config.gateway.amqp,
    logger: silentLogger,
    initialRetries: 0,
  });
  const error = await broker.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof BrokerUnreachableError);
  t.match((error as Error).message, /^cannot reach RabbitMQ at 127\.0\.0\.1:1, localhost:2: /);
  t.notMatch((error as Error).message, /s3cret/);
});

t.test('a dropped connection moves to the next node, round-robin, and setup runs there', async (t) => {
  const vhost = await createVhost('ob-cluster-conn');
  t.teardown(vhost.remove);
  const other = vhost.url.replace('127.0.0.1', 'localhost');
  const name = `ob-cluster-conn-${process.pid}`;
  const setups: string[] = [];
  const connection = new ClusterConnection({
    urls: [vhost.url, deadNode, other],
    name,
    backoff,
    setup: async (model, address) => {
      await (await model.createChannel()).close();
      setups.push(address);
    },
  });
  connection.on('error', () => {});
  t.teardown(() => connection.close());
  const lost: string[] = [];
  connection.on('disconnect', (error: Error) => lost.push(error.message));
  await connection.start(1);
  t.equal(connection.address, '127.0.0.1:5672');

  closeConnectionNamed(name);
  await waitFor(() => setups.length === 2, 15_000, 'the reconnect');
  t.equal(connection.address, 'localhost:5672', 'the dead node skipped, the next live one taken');
  closeConnectionNamed(name);
  await waitFor(() => setups.length === 3, 15_000, 'the second reconnect');
  t.same(setups, ['127.0.0.1:5672', 'localhost:5672', '127.0.0.1:5672'], 'round-robin from the node that was lost');
  t.equal(lost.length, 2);
  t.match(lost[0], /CONNECTION_FORCED/);
});
