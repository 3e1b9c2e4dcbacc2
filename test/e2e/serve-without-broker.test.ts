import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/cli/free-port.js';
import { loadConfig } from '../../src/config/index.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { writeConfigDir } from '../helpers/config-files.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { startOrderbridge, waitForOutput } from '../helpers/processes.js';
import { createVhost } from '../helpers/vhost.js';

const { exchanges, queues } = loadConfig({ dir: defaultConfigDir, env: {} }).gateway.amqp;

/** A TCP relay to the local RabbitMQ on `port`: the broker "comes up" on that port when it starts. */
function brokerRelay(port: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const broker = tcpConnect(5672, '127.0.0.1');
    for (const socket of [client, broker]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(broker).pipe(client);
  });
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

t.test(
  'serve started while RabbitMQ is down stays live, not ready, logs the outage once, and consumes once it is up',
  async (t) => {
    const vhost = await createVhost('ob-serve-no-broker');
    const data = mkdtempSync(join(tmpdir(), 'orderbridge-serve-'));
    const [brokerPort, httpPort] = [await freePort(), await freePort()];
    const config = writeConfigDir({
      'http.port': httpPort,
      'metrics.port': 0,
      'amqp.reconnect.maxDelay': '1s',
      'stuck.checkInterval': '200ms',
    });
    let relay: Server | undefined;
    t.teardown(async () => {
      relay?.close();
      await vhost.remove();
      config.remove();
      rmSync(data, { recursive: true, force: true });
    });
    const env = {
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${brokerPort}/${encodeURIComponent(vhost.name)}`,
      ORDERBRIDGE_LEDGER_PATH: join(data, 'ledger.db'),
      ORDERBRIDGE_CONFIG: config.dir,
      ORDERBRIDGE_LOG_LEVEL: 'info',
    };
    const gateway = startOrderbridge(t, 'serve-without-broker', ['serve'], env);
    await waitForOutput(gateway, /gateway started/, 20_000);
    const http = (path: string) => fetch(`http://127.0.0.1:${httpPort}${path}`);

    // Three seconds down with a 1 s backoff cap and a 200 ms watchdog tick: many failed attempts.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    t.equal(gateway.child.exitCode, null, 'still running with the broker down');
    t.equal((await http('/healthz')).status, 200, 'live');
    const notReady = await http('/readyz');
    t.equal(notReady.status, 503, 'not ready');
    t.match(await notReady.json(), { detail: /RabbitMQ/ });

    relay = await brokerRelay(brokerPort);
    await waitForOutput(gateway, /RabbitMQ connected/, 15_000);
    await waitFor(async () => (await http('/readyz')).status === 200, 5000, 'ready once the broker is up');
    const peer = await amqpPeer(vhost.url);
    t.teardown(peer.close);
    const toMes = await peer.collect(queues.mesCommands);
    await peer.publish(exchanges.crmCommands, 'order.create', {
      messageId: 'crm-S-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'S-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    });
    await waitFor(() => toMes.length === 1, 10_000, 'the command consumed and forwarded');

    const log = gateway.output();
    t.equal(log.match(/RabbitMQ unreachable/g)?.length, 1, 'the outage is logged once when it starts');
    t.match(log, /"outageMs":\d+[^\n]*RabbitMQ connected/, 'and once when it ends, with its length');
    t.notMatch(log, /watchdog tick failed/, 'the watchdog does not log an error per tick');
    t.ok((log.match(/watchdog paused/g)?.length ?? 0) <= 1, 'its pause is said at most once');
    t.equal(await gateway.stop(), 0, 'stops cleanly');
  },
);
