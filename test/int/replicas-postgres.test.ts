// Three in-process gateways on one PostgreSQL database and one vhost, as replicas behind a load balancer.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { mainLine } from '../../sim/mes/workflow.js';
import { shuffleInPlace } from '../../sim/shared/seeded.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { crmCreateCommand, mesEvent } from '../fixtures/mes-events.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { statusChainBreaks } from '../helpers/checker.js';
import { testConfig } from '../helpers/gateway-config.js';
import { sqliteCopyOf } from '../helpers/postgres.js';
import { seededRandom } from '../helpers/random.js';
import { startReplicas } from '../helpers/replicas.js';
import { messagesAcked } from '../helpers/test-gateway.js';
import { checkOneOrderAccepted } from '../helpers/idempotent-posts.js';

const order = { reference: 'PO-1', customer: { id: 'C-1', name: 'Kunde' }, lines: [{ sku: 'S-1', quantity: 1 }] };

t.test('100 concurrent identical POSTs spread over 3 gateways make one order and one CRM message', async (t) => {
  const { gateways, call, url, amqpUrl } = await startReplicas(t, 3);
  const peer = await amqpPeer(amqpUrl);
  t.teardown(() => peer.close());
  const { queues } = testConfig().config.gateway.amqp;
  const toCrm = await peer.collect(queues.crmPartnerOrders);
  const idempotencyKey = randomUUID();
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      call(gateways[i % 3]!, '/v1/orders', {
        method: 'POST',
        body: JSON.stringify(order),
        headers: { 'idempotency-key': idempotencyKey },
      }),
    ),
  );
  await checkOneOrderAccepted(t, responses);
  await peer.fence(queues.crmPartnerOrders);
  t.equal(toCrm.length, 1, 'exactly one message to the CRM');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.teardown(() => db.end());
  t.equal((await db.query('SELECT COUNT(*)::int AS n FROM orders')).rows[0].n, 1, 'one order in the ledger');
});

t.test(
  "one order's MES events spread over 3 gateways, shuffled and doubled: no status regresses, no journal entry is lost, no status goes out twice",
  async (t) => {
    const { gateways, url, amqpUrl } = await startReplicas(t, 3);
    const peer = await amqpPeer(amqpUrl);
    t.teardown(() => peer.close());
    const { queues, exchanges } = testConfig().config.gateway.amqp;
    const toCrm = await peer.collect(queues.crmOrderEvents);
    const random = seededRandom(17);
    const orderIds = Array.from({ length: 8 }, (_, i) => `SPREAD-${i}`);
    for (const orderId of orderIds)
      await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand(orderId));
    const acked = async () => (await Promise.all(gateways.map(messagesAcked))).reduce((a, b) => a + b, 0);
    // Acked after the MES command's confirm: counted from here, the creates are all in.
    await waitFor(async () => (await acked()) === orderIds.length, 10_000, 'every create handled');
    const before = await Promise.all(gateways.map(messagesAcked));
    const t0 = Date.now();
    let published = 0;
    // One order after the other, each order's events shuffled, sent twice and all at once: consecutive
    // deliveries of one order go round-robin to the three gateways' consumers, which apply them together.
    for (const orderId of orderIds) {
      const events = mainLine.flatMap((state, i) => {
        const event = mesEvent(state, {
          orderId,
          eventId: `${orderId}-${state}`,
          at: new Date(t0 + i * 1000).toISOString(),
          ...(state === 'ACCEPTED' ? { correlationId: mesCommandId(`crm-${orderId}`) } : {}),
        });
        return [event, event];
      });
      await Promise.all(
        shuffleInPlace(random, events).map((event) => peer.publish(exchanges.mesEvents, event.header.eventType, event)),
      );
      published += events.length;
    }
    const total = before.reduce((a, b) => a + b, 0) + published;
    await waitFor(async () => (await acked()) === total, 20_000, `all ${published} MES events handled`);
    const shares = (await Promise.all(gateways.map(messagesAcked))).map((n, i) => n - before[i]!);
    t.ok(
      shares.every((n) => n > 0),
      `every gateway applied some of them: ${shares.join(' + ')} = ${published}`,
    );
    await peer.fence(queues.crmOrderEvents);

    const ledger = await sqliteCopyOf(url);
    t.teardown(() => ledger.close());
    t.same(
      ledger.prepare('SELECT DISTINCT status FROM orders').pluck().all(),
      ['shipped'],
      'every order ends where its latest event puts it: shipped',
    );
    t.same(statusChainBreaks(ledger), [], 'each journal is one unbroken chain, each change published once');
    for (const orderId of orderIds) {
      const statuses = toCrm
        .filter((e) => (e.body as { subject: string }).subject === orderId)
        .map((e) => e.message.fields.routingKey)
        .filter((key) => key.startsWith('order.status.'));
      const order = ['accepted', 'in_production', 'ready', 'shipped'].map((s) => `order.status.${s}`);
      const ranks = statuses.map((key) => order.indexOf(key));
      t.ok(
        new Set(statuses).size === statuses.length &&
          ranks.every((rank, i) => rank >= 0 && (i === 0 || rank > ranks[i - 1]!)),
        `${orderId}: the CRM heard each status once, never backwards: ${statuses.join(' ')}`,
      );
    }
  },
);
