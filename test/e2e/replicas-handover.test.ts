// How fast a gateway killed with -9 hands over its work: two gateway processes on one PostgreSQL
// database and one vhost. The first holds every webhook delivery (the partner's endpoint never
// answers) and an MES event unacked (its transaction waits for an order lock the test holds); it is
// killed, and the second must apply the event at once and attempt each delivery again within the
// lease (webhooks.timeout + 30 s), a tick and some slack.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import t from 'tap';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { freePort } from '../../src/cli/free-port.js';
import { orderLockClass } from '../../src/ledger/postgres/group-commit.js';
import { crmCreateCommand, mesEvent } from '../fixtures/mes-events.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { writeConfigDir } from '../helpers/config-files.js';
import { testConfig } from '../helpers/gateway-config.js';
import { freshDatabase } from '../helpers/postgres.js';
import { startOrderbridge, waitForOutput } from '../helpers/processes.js';
import { createVhost } from '../helpers/vhost.js';

const timeoutMs = 10_000;
const checkIntervalMs = 250;
// The lease a claim takes (src/adapters/webhooks/deliveries.ts: timeout + 30 s), then a tick to see
// it ran out and the new attempt's start, with slack for a loaded machine: a bound, not a measurement.
const deadlineMs = timeoutMs + 35_000;

t.test(
  `a gateway killed with -9: the MES event it held unacked is applied by another at once, its leased webhook deliveries attempted again within webhooks.timeout + 35 s (here ${deadlineMs} ms)`,
  async (t) => {
    const attempts: { id: string; at: number }[] = [];
    // The partner's endpoint takes each attempt and never answers: the attempt is in flight until
    // the gateway's timeout, and the delivery stays leased by whoever made it.
    const receiver = createServer((request) => {
      attempts.push({ id: String(request.headers['webhook-id']), at: Date.now() });
      request.resume();
    });
    const receiverPort = await freePort();
    await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));
    t.teardown(() => {
      receiver.closeAllConnections();
      receiver.close();
    });
    const vhost = await createVhost('ob-handover');
    t.teardown(() => vhost.remove());
    const config = writeConfigDir({
      'http.port': 0,
      'metrics.port': 0,
      partners: [
        {
          id: 'shop',
          name: 'Shop',
          apiKeySha256: 'a'.repeat(64),
          requestsPerSecond: 100,
          webhooks: [
            {
              url: `http://127.0.0.1:${receiverPort}/hooks`,
              secretEnv: 'SHOP_WEBHOOK_SECRET',
              allowPrivateTargets: true,
            },
          ],
        },
      ],
      'webhooks.timeout': `${timeoutMs}ms`,
      'webhooks.checkInterval': `${checkIntervalMs}ms`,
    });
    t.teardown(config.remove);
    const env = {
      AMQP_URL: vhost.url,
      DATABASE_URL: await freshDatabase(t),
      ORDERBRIDGE_CONFIG: config.dir,
      ORDERBRIDGE_LOG_LEVEL: 'info',
      SHOP_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    };
    const start = async (name: string) => {
      const gateway = startOrderbridge(t, `handover-${name}`, ['serve'], env);
      await waitForOutput(gateway, /RabbitMQ connected/, 20_000);
      return gateway;
    };

    const first = await start('first');
    const peer = await amqpPeer(vhost.url);
    t.teardown(() => peer.close());
    const { exchanges } = testConfig().config.gateway.amqp;
    // Four deliveries: as many as one endpoint gets in flight at once (webhooks.maxConcurrent / 4).
    const orders = ['H-1', 'H-2'];
    for (const orderId of orders) {
      await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand(orderId));
      await peer.publish(
        exchanges.mesEvents,
        'ORDER_ACCEPTED',
        mesEvent('ACCEPTED', {
          orderId,
          eventId: `ev-${orderId}`,
          correlationId: mesCommandId(`crm-${orderId}`),
          at: new Date().toISOString(),
        }),
      );
    }
    // Each acceptance makes two order events (acknowledged, status accepted), each one delivery.
    const ids = () => new Set(attempts.map((a) => a.id));
    await waitFor(() => ids().size === orders.length * 2, 15_000, 'the first gateway attempting every delivery');
    const held = [...ids()];

    // And an MES event it holds unacked: its transaction waits for H-1's order lock, held here.
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    t.teardown(() => db.end());
    await db.query('SELECT pg_advisory_lock($1, hashtext($2))', [orderLockClass, 'H-1']);
    const eventsOfH1 = async () =>
      (await db.query(`SELECT COUNT(*)::int AS n FROM messages WHERE channel = 'mes.event' AND order_id = 'H-1'`))
        .rows[0].n as number;
    await peer.publish(
      exchanges.mesEvents,
      'ORDER_STATE_CHANGED',
      mesEvent('PLANNING', { orderId: 'H-1', eventId: 'ev-H-1-planning', at: new Date().toISOString() }),
    );
    await waitFor(
      async () =>
        (
          await db.query(
            `SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rows[0].n > 0,
      10_000,
      'the first gateway waiting for the order lock',
    );

    // Started once the first holds them all, so it has nothing to take until their leases run out.
    const second = await start('second');
    const killedAt = Date.now();
    await first.kill9();
    await db.query('SELECT pg_advisory_unlock($1, hashtext($2))', [orderLockClass, 'H-1']);
    await waitFor(async () => (await eventsOfH1()) === 2, 10_000, 'the held MES event applied by the second gateway');
    const eventHandoverMs = Date.now() - killedAt;
    t.comment(`the MES event the first held unacked: applied by the second ${eventHandoverMs} ms after the kill`);
    t.ok(eventHandoverMs <= 5000, 'within 5 s: RabbitMQ redelivers it once the connection closes');
    // Else some attempt timed out and its delivery waited for a retry unleased, where the second
    // could take it: then not every delivery measured was handed over by a lease running out.
    const claimedAt = Math.min(...attempts.map((a) => a.at));
    t.ok(
      killedAt < claimedAt + timeoutMs,
      `killed ${killedAt - claimedAt} ms after its first attempt: every attempt was still in flight, every delivery leased`,
    );
    await waitFor(
      () => held.every((id) => attempts.some((a) => a.id === id && a.at > killedAt)),
      deadlineMs + 5000,
      'every delivery attempted again after the kill',
    );
    const handover = held.map((id) => attempts.find((a) => a.id === id && a.at > killedAt)!.at - killedAt);
    t.comment(
      `after the kill, the second gateway attempted the ${held.length} deliveries again in ${Math.min(...handover)}–${Math.max(...handover)} ms`,
    );
    t.ok(Math.max(...handover) <= deadlineMs, `every one within ${deadlineMs} ms of the kill`);
    t.ok(second.child.exitCode === null, 'the second gateway still runs');
  },
);
