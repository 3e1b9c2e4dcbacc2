import t from 'tap';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ConsumeMessage } from 'amqplib';
import { loadConfig } from '../../src/config/index.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { validatorFor } from '../../src/contracts/validate.js';
import type { CrmCommand } from '../../src/contracts/generated/crm/command.js';
import type { CrmFact } from '../../src/contracts/generated/crm/fact.js';
import type { OrderEvent, StatusChange } from '../../src/contracts/generated/external/order-event.js';
import { createVhost } from '../helpers/vhost.js';
import { orderIdFor, startCrmSimulator, type CrmSimulatorOptions } from '../../sim/crm/index.js';
import { createOrderGenerator } from '../../sim/crm/order-generator.js';
import { waitFor } from '../helpers/wait-for.js';

const configDir = join(resolve(import.meta.dirname, '../..'), 'config');
const validCommand = validatorFor<CrmCommand>('crmCommand');
const validFact = validatorFor<CrmFact>('crmFact');
const validEvent = validatorFor<OrderEvent>('orderEvent');

// The last overload of t.test is (cb), so this is the type of a subtest.
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

interface Heard<T> {
  body: T;
  message: ConsumeMessage;
  at: number;
}

/** A vhost with the gateway's topology and the test playing the gateway: it hears the CRM's messages and publishes order events. */
async function crmWorld(t: Test) {
  const vhost = await createVhost('ob-sim-crm');
  const config = loadConfig({ dir: configDir, env: { AMQP_URL: vhost.url } });
  const amqp = config.gateway.amqp;
  const connection = await connect(vhost.url);
  const setup = await connection.createChannel();
  await declareTopology(setup, amqp);

  const listen = async <T>(exchange: string) => {
    const heard: Heard<T>[] = [];
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (message) => {
      if (!message) return;
      heard.push({ body: JSON.parse(message.content.toString()) as T, message, at: Date.now() });
      channel.ack(message);
    });
    return heard;
  };
  const commands = await listen<CrmCommand>(amqp.exchanges.crmCommands);
  const facts = await listen<CrmFact>(amqp.exchanges.crmEvents);
  const events = await connection.createConfirmChannel();
  let clock = Date.parse('2030-01-01T08:00:00Z');

  const publishEvent = async (
    orderId: string,
    kind: StatusChange['kind'],
    status: StatusChange['status'],
    extra: Partial<StatusChange> = {},
    id: string = randomUUID(),
  ) => {
    clock += 1000;
    const event: OrderEvent = {
      specversion: '1.0',
      id,
      source: '/orderbridge',
      type: `dev.orderbridge.order.${kind}`,
      time: new Date(clock).toISOString(),
      subject: orderId,
      datacontenttype: 'application/json',
      data: { orderId, kind, status, occurredAt: new Date(clock).toISOString(), ...extra },
    };
    t.ok(validEvent(event).ok, 'the test publishes valid events');
    await publishRaw(JSON.stringify(event), kind);
    return event;
  };
  const publishRaw = async (content: string, routingKey = 'event') => {
    events.publish(amqp.exchanges.orderEvents, routingKey, Buffer.from(content), {
      persistent: true,
      contentType: 'application/json',
    });
    await events.waitForConfirms();
  };

  const simOptions = (options: CrmSimulatorOptions): CrmSimulatorOptions => ({
    amqpUrl: vhost.url,
    queue: amqp.queues.crmOrderEvents,
    commandExchange: amqp.exchanges.crmCommands,
    factExchange: amqp.exchanges.crmEvents,
    ...options,
  });
  const stops: (() => Promise<unknown>)[] = [];
  const start = async (options: CrmSimulatorOptions) => {
    const sim = await startCrmSimulator(simOptions(options));
    stops.push(() => sim.stop());
    return sim;
  };
  t.teardown(async () => {
    for (const stop of stops) await stop();
    await connection.close();
    await vhost.remove();
  });
  return { start, commands, facts, publishEvent, publishRaw };
}

t.test(
  'the CRM sends valid commands, follows every answer, reports delivery of shipped orders and settles with a true report',
  async (t) => {
    const world = await crmWorld(t);
    const total = 12;
    const seed = 1;
    const shares = { cancelShare: 0.25, updateShare: 0.25 };
    const sim = await world.start({
      orders: total,
      rate: 500,
      runId: 'T1',
      seed,
      ...shares,
      deliverAfterMs: 50,
      timeoutMs: 15000,
    });
    const generator = createOrderGenerator({ seed, runId: 'T1', partner: 'shop', ...shares });
    const followUps = Array.from({ length: total }, (_, i) => generator.followUpsOf(i + 1));
    const expectedCommands =
      total + followUps.filter((f) => f.cancel).length + followUps.filter((f) => f.update).length;
    t.ok(
      followUps.some((f) => f.cancel) && followUps.some((f) => f.update),
      `seed ${seed} cancels and updates some orders`,
    );

    await waitFor(() => world.commands.length === expectedCommands, 10_000, 'every command');
    const ids = Array.from({ length: total }, (_, i) => orderIdFor('T1', i + 1));
    t.same(
      world.commands.filter((c) => c.body.type === 'order.create').map((c) => c.body.orderId),
      ids,
      'creates in order, with run-scoped ids',
    );
    for (const { body, message } of world.commands) {
      const valid = validCommand(body);
      t.ok(
        valid.ok,
        `${body.messageId} matches the CRM command contract`,
        valid.ok ? {} : { problems: valid.problems },
      );
      t.equal(message.fields.routingKey, body.type, 'routing key is the command type');
      t.equal(message.properties.messageId, body.messageId);
      t.equal(message.properties.deliveryMode, 2, 'persistent');
      t.equal(message.properties.contentType, 'application/json');
    }
    t.equal(new Set(world.commands.map((c) => c.body.messageId)).size, expectedCommands, 'message ids are unique');
    followUps.forEach((f, i) => {
      const kinds = world.commands.filter((c) => c.body.orderId === ids[i]).map((c) => c.body.type);
      t.same(
        kinds.sort(),
        ['order.create', ...(f.cancel ? ['order.cancel'] : []), ...(f.update ? ['order.update'] : [])].sort(),
        `${ids[i]} got its follow-ups`,
      );
    });
    const create = (orderId: string) =>
      world.commands.find((c) => c.body.orderId === orderId && c.body.type === 'order.create')!.body.messageId;

    // Play the gateway: six orders go all the way, the others end every other way an order can end.
    const allTheWay = ids.slice(0, 6);
    const [rejected, lost, stuck, failed, cancelled, noisy] = ids.slice(6) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const shippedAt = new Map<string, number>();
    for (const id of allTheWay) {
      await world.publishEvent(id, 'acknowledged', 'accepted', { acknowledgement: 'accepted', commandId: create(id) });
      await world.publishEvent(id, 'status_changed', 'in_production', { previousStatus: 'accepted' });
      await world.publishEvent(id, 'status_changed', 'ready', { previousStatus: 'in_production' });
      await world.publishEvent(id, 'status_changed', 'shipped', { previousStatus: 'ready' });
      shippedAt.set(id, Date.now());
    }
    await world.publishEvent(rejected, 'acknowledged', 'rejected', {
      acknowledgement: 'rejected',
      commandId: create(rejected),
      reason: 'NO_CAPACITY',
    });
    await world.publishEvent(lost, 'attention_raised', 'received', { attention: 'lost' });
    await world.publishEvent(stuck, 'acknowledged', 'accepted', {
      acknowledgement: 'accepted',
      commandId: create(stuck),
    });
    await world.publishEvent(stuck, 'attention_raised', 'accepted', { attention: 'stuck' });
    await world.publishEvent(failed, 'acknowledged', 'failed', {
      acknowledgement: 'failed',
      commandId: create(failed),
    });
    await world.publishEvent(cancelled, 'acknowledged', 'accepted', {
      acknowledgement: 'accepted',
      commandId: create(cancelled),
    });
    await world.publishEvent(cancelled, 'acknowledged', 'cancelled', {
      acknowledgement: 'accepted',
      commandId: `${cancelled}:cancel`,
    });
    // The noisy one: a stuck flag that clears, an event heard twice, a late event out of order.
    const accepted = await world.publishEvent(noisy, 'acknowledged', 'accepted', {
      acknowledgement: 'accepted',
      commandId: create(noisy),
    });
    await world.publishRaw(JSON.stringify(accepted));
    await world.publishEvent(noisy, 'attention_raised', 'accepted', { attention: 'stuck' });
    await world.publishEvent(noisy, 'attention_cleared', 'in_production', { attention: 'stuck' });
    await world.publishEvent(noisy, 'status_changed', 'shipped', { previousStatus: 'in_production' });
    shippedAt.set(noisy, Date.now());
    await world.publishEvent(noisy, 'status_changed', 'ready', {
      previousStatus: 'in_production',
      occurredAt: '2029-12-31T00:00:00.000Z',
    });
    // Not ours, and not an event at all: both ignored.
    await world.publishEvent('ORD-other-000001', 'status_changed', 'accepted');
    await world.publishRaw('{ not json');

    const shipped = [...allTheWay, noisy];
    await waitFor(() => world.facts.length === shipped.length, 10_000, 'order.delivered for every shipped order');
    for (const { body, message, at } of world.facts) {
      t.ok(validFact(body).ok, `${body.messageId} matches the CRM fact contract`);
      t.equal(body.type, 'order.delivered');
      t.equal(message.fields.routingKey, 'order.delivered');
      t.equal(body.messageId, `${body.orderId}:delivered`);
      t.ok(
        at - shippedAt.get(body.orderId)! >= 40,
        `${body.orderId} delivered about --deliver-after-ms after shipping`,
      );
    }
    t.same(world.facts.map((f) => f.body.orderId).sort(), [...shipped].sort());
    t.same(sim.stats().unanswered.sort(), [...shipped].sort(), 'shipped is not final: the CRM waits for delivered');

    for (const id of shipped)
      await world.publishEvent(id, 'status_changed', 'delivered', { previousStatus: 'shipped' });
    const report = await sim.done;

    t.match(report, {
      runId: 'T1',
      sent: total,
      published: expectedCommands + shipped.length,
      timedOut: false,
      finishedBy: 'settled',
      duplicateEventsHeard: 1,
      invalidEventsHeard: 1,
      foreignEventsHeard: 1,
    });
    t.same(report.acknowledged, { accepted: 9, rejected: 1, failed: 1 });
    t.same(report.byStatus, { delivered: 7, rejected: 1, received: 1, accepted: 1, failed: 1, cancelled: 1 });
    t.same(report.lost, [lost]);
    t.same(report.stuck, [stuck]);
    t.same(report.unanswered, []);
    t.same(
      report.orders[noisy],
      { status: 'delivered', ack: 'accepted', attention: [], events: 6 },
      'the late ready changed nothing',
    );
    t.same(report.orders[allTheWay[0]!], { status: 'delivered', ack: 'accepted', attention: [], events: 5 });
    t.same(report.orders[lost], { status: 'received', ack: null, attention: ['lost'], events: 1 });
    t.equal(Object.keys(report.orders).length, total);
    t.same(sim.stats(), report, 'stats() after the end is the report');
  },
);

t.test('without answers the CRM gives up at --timeout-ms and lists every order unanswered', async (t) => {
  const world = await crmWorld(t);
  await world.publishEvent('ORD-earlier-run-000001', 'status_changed', 'shipped');
  const sim = await world.start({ orders: 3, rate: 100, runId: 'T2', timeoutMs: 800 });
  const started = Date.now();
  const report = await sim.done;
  t.ok(Date.now() - started >= 750, 'it waited');
  t.match(report, { sent: 3, published: 3, timedOut: true, finishedBy: 'timeout', foreignEventsHeard: 1 });
  t.same(
    report.unanswered,
    [1, 2, 3].map((i) => orderIdFor('T2', i)),
  );
  t.same(report.byStatus, { unheard: 3 });
  t.equal(world.commands.length, 3);
});

t.test('stop() ends publishing at once; --no-settle finishes when everything is confirmed', async (t) => {
  const world = await crmWorld(t);
  const slow = await world.start({ orders: 1000, rate: 50, runId: 'T3' });
  await waitFor(() => world.commands.length >= 5, 10_000, 'a few commands');
  const report = await slow.stop();
  t.equal(report.finishedBy, 'stopped');
  t.ok(report.sent < 1000 && report.sent >= 5, `${report.sent} sent before the stop`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(world.commands.length, report.sent, 'nothing published after the stop');
  t.same(await slow.done, report, 'done resolves with the same report');

  const quick = await world.start({ orders: 20, rate: 10000, runId: 'T4', settle: false });
  const quickReport = await quick.done;
  t.match(quickReport, { sent: 20, published: 20, finishedBy: 'published', timedOut: false });
  t.equal(quickReport.unanswered.length, 20, 'nobody answered, and it did not wait');
});
