import t from 'tap';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, connect as connectTcp, type AddressInfo, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel } from 'amqplib';
import { loadConfig } from '../../src/config/index.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import type { CrmCommand } from '../../src/contracts/generated/crm/command.js';
import type { CrmFact } from '../../src/contracts/generated/crm/fact.js';
import type { MesCommand } from '../../sim/generated/mes/reference/command.js';
import type { MesEvent } from '../../sim/generated/mes/reference/event.js';
import type { OrderEvent, StatusChange } from '../../src/contracts/generated/external/order-event.js';
import { createVhost } from '../helpers/vhost.js';
import { orderIdFor, startCrmSimulator } from '../../sim/crm/index.js';
import { createOrderGenerator } from '../../sim/crm/order-generator.js';
import { startMesSimulator } from '../../sim/mes/index.js';
import { waitFor } from '../helpers/wait-for.js';

const configDir = join(resolve(import.meta.dirname, '../..'), 'config');
const run = promisify(execFile);

// The last overload of t.test is (cb), so this is the type of a subtest.
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** The connections the simulators name `connectionName` in `vhost`, by their RabbitMQ pid. */
async function connectionsNamed(vhost: string, connectionName: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', [
    '-q',
    'list_connections',
    '--no-table-headers',
    'vhost',
    'pid',
    'client_properties',
  ]);
  return stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([host, , properties]) => host === vhost && properties?.includes(`"${connectionName}"`))
    .map(([, pid]) => pid!);
}

/**
 * Has the broker close connections (CONNECTION_FORCED, as when it shuts down) without stopping
 * it for the other tests. Listed beforehand, because rabbitmqctl takes a second or more.
 */
async function closeConnections(pids: string[]): Promise<void> {
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by sim-reconnect.test']);
}

/**
 * A TCP proxy in front of the local RabbitMQ that can drop its connections, or go down for a
 * while and refuse new ones as a stopped broker does, without touching the broker the other
 * tests share.
 */
async function brokerProxy(t: Test) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const broker = connectTcp(5672, '127.0.0.1');
        for (const [from, to] of [
          [client, broker],
          [broker, client],
        ] as const) {
          sockets.add(from);
          from.pipe(to);
          from.on('error', () => to.destroy());
          from.on('close', () => to.destroy());
        }
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const down = async () => {
    const closed = new Promise((resolve) => server?.close(resolve));
    cut();
    await closed;
  };
  await up();
  t.teardown(down);
  return { url: (vhost: string) => `amqp://guest:guest@127.0.0.1:${port}/${encodeURIComponent(vhost)}`, up, down, cut };
}

/** A vhost with the gateway's topology and one connection for the test, which plays the gateway. */
async function world(t: Test, prefix: string) {
  const vhost = await createVhost(prefix);
  const stops: (() => Promise<unknown>)[] = [];
  let closeConnection = async () => {};
  // Registered before anything that can fail, so that the vhost never outlives the test.
  t.teardown(async () => {
    // The simulators first: they would reconnect for ever to a vhost that is gone.
    for (const stop of stops) await stop();
    await closeConnection();
    await vhost.remove();
  });
  const config = loadConfig({ dir: configDir, env: { AMQP_URL: vhost.url } });
  const connection: ChannelModel = await connect(vhost.url);
  closeConnection = () => connection.close();
  await declareTopology(await connection.createChannel(), config.gateway.amqp);
  const listen = async <T>(exchange: string) => {
    const heard: T[] = [];
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (message) => {
      if (!message) return;
      heard.push(JSON.parse(message.content.toString()) as T);
      channel.ack(message);
    });
    return heard;
  };
  const publisher = await connection.createConfirmChannel();
  const publish = (exchange: string, routingKey: string, body: unknown) =>
    publisher.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
    });
  const logs: string[] = [];
  const logged = (pattern: RegExp) => logs.filter((line) => pattern.test(line)).length;
  return {
    vhost,
    amqp: config.gateway.amqp,
    dialect: config.dialect,
    listen,
    publish,
    confirmed: () => publisher.waitForConfirms(),
    stops,
    logs,
    logged,
  };
}

function createOrder(externalRef: string): MesCommand {
  return {
    header: {
      messageId: `create-${externalRef}`,
      messageType: 'CREATE_ORDER',
      sender: 'ORDERBRIDGE',
      createdAt: new Date().toISOString(),
    },
    body: {
      externalRef,
      customerNo: 'C-1',
      customerName: 'Acme',
      priority: 5,
      positions: [{ pos: 10, material: 'BRK-2040', qty: 4, uom: 'PCE' }],
    },
  };
}

t.test(
  'the MES carries on when its connection is closed mid-run: every order accepted once, every walk complete',
  async (t) => {
    const w = await world(t, 'ob-sim-reconnect');
    const events = await w.listen<MesEvent>(w.amqp.exchanges.mesEvents);
    // A small prefetch, slow steps and answers held in a reorder window: when the connection goes,
    // commands are queued, unacked with their answers unpublished, and orders are walking.
    const sim = await startMesSimulator({
      amqpUrl: w.vhost.url,
      queue: w.amqp.queues.mesCommands,
      exchange: w.amqp.exchanges.mesEvents,
      port: 0,
      stepMs: 100,
      seed: 7,
      qcFailShare: 0,
      prefetch: 20,
      reorderWindow: 12,
      log: (line) => w.logs.push(line),
    });
    w.stops.push(() => sim.stop());

    const refs = Array.from({ length: 200 }, (_, i) => `ORD-RC-${i}`);
    const accepted = () =>
      new Set(events.filter((e) => e.header.eventType === 'ORDER_ACCEPTED').map((e) => e.order.externalRef)).size;
    const connection = await connectionsNamed(w.vhost.name, 'orderbridge sim mes');
    t.equal(connection.length, 1, 'the MES has one connection');
    // 30 commands a second for about seven seconds: they keep coming while the connection is closed.
    const publishing = (async () => {
      for (const ref of refs) {
        w.publish(w.amqp.exchanges.mesCommands, 'CREATE_ORDER', createOrder(ref));
        await new Promise((resolve) => setTimeout(resolve, 33));
      }
      await w.confirmed();
    })();
    await waitFor(() => accepted() >= 30, 20_000, '30 orders accepted');
    await closeConnections(connection);
    t.ok(
      sim.stats().commandsReceived < refs.length,
      `while commands were still coming (${sim.stats().commandsReceived} received)`,
    );
    await publishing;
    await waitFor(() => w.logged(/^reconnected to RabbitMQ/) === 1, 20_000, 'the MES to reconnect');
    await waitFor(() => sim.stats().ordersByState.DISPATCHED === refs.length, 60000, 'every order dispatched');
    // The reorder window may still hold the last steps: the walks are checked once every DISPATCHED is heard.
    await waitFor(
      () =>
        new Set(events.filter((e) => e.order.state === 'DISPATCHED').map((e) => e.order.externalRef)).size ===
        refs.length,
      20_000,
      'every DISPATCHED heard',
    );
    const unique = () => new Map(events.map((e) => [e.header.eventId, e]));
    await waitFor(() => unique().size === sim.stats().eventsPublished, 20_000, 'every event confirmed and heard');

    t.equal(
      w.logged(/^lost the RabbitMQ connection \(.*CONNECTION_FORCED.*\); reconnecting$/),
      1,
      'one line for the disconnect',
    );
    t.equal(w.logged(/^reconnected to RabbitMQ at 127\.0\.0\.1:5672$/), 1, 'one line for the reconnect');
    t.equal(w.logged(/could not publish/), 0, 'nothing given up');
    const stats = sim.stats();
    t.equal(
      stats.commandsReceived - stats.duplicateCommands,
      refs.length,
      `each command took effect once (${stats.duplicateCommands} redelivered after the close, counted as duplicates)`,
    );
    t.equal(stats.duplicateOrders, 0, 'no order created twice');
    t.ok(stats.duplicateCommands <= 20, 'only commands in flight at the close (at most the prefetch) came again');

    const byRef = new Map<string, MesEvent[]>();
    for (const event of unique().values())
      byRef.set(event.order.externalRef, [...(byRef.get(event.order.externalRef) ?? []), event]);
    let incomplete = 0;
    for (const ref of refs) {
      const walk = (byRef.get(ref) ?? []).sort((a, b) => (a.header.createdAt < b.header.createdAt ? -1 : 1));
      const acceptances = walk.filter((e) => e.header.eventType === 'ORDER_ACCEPTED');
      if (acceptances.length !== 1 || acceptances[0]?.header.correlationId !== `create-${ref}`)
        t.fail(`${ref}: ${acceptances.length} ORDER_ACCEPTED events`);
      const states = walk.map((e) => e.order.state);
      const linked = walk.every(
        (e, i) =>
          i === 0 ||
          (w.dialect.states[walk[i - 1]!.order.state]?.next?.includes(e.order.state) &&
            e.order.previousState === walk[i - 1]!.order.state),
      );
      if (states[0] !== 'ACCEPTED' || states.at(-1) !== 'DISPATCHED' || !linked) {
        incomplete += 1;
        t.fail(`${ref}: the walk heard is ${states.join(' → ')}`);
      }
    }
    t.equal(incomplete, 0, 'every order was heard accepted once and walking every step to DISPATCHED');
  },
);

t.test(
  'the CRM carries on when its connection is closed by the broker, then dropped, while sending: every command arrives, and it settles',
  async (t) => {
    const w = await world(t, 'ob-sim-reconnect');
    const commands = await w.listen<CrmCommand>(w.amqp.exchanges.crmCommands);
    const facts = await w.listen<CrmFact>(w.amqp.exchanges.crmEvents);
    const proxy = await brokerProxy(t);
    const total = 300;
    const shares = { cancelShare: 0.1, updateShare: 0.1 };
    const sim = await startCrmSimulator({
      amqpUrl: proxy.url(w.vhost.name),
      queue: w.amqp.queues.crmOrderEvents,
      commandExchange: w.amqp.exchanges.crmCommands,
      factExchange: w.amqp.exchanges.crmEvents,
      orders: total,
      rate: 30,
      runId: 'RC',
      seed: 3,
      ...shares,
      deliverAfterMs: 100,
      timeoutMs: 60000,
      log: (line) => w.logs.push(line),
    });
    w.stops.push(() => sim.stop());

    // Closed by the broker (as when it shuts down), then dropped on the way (as when the network fails).
    const connection = await connectionsNamed(w.vhost.name, 'orderbridge sim crm');
    t.equal(connection.length, 1, 'the CRM has one connection');
    await waitFor(() => commands.length >= 30, 20_000, '30 commands');
    await closeConnections(connection);
    t.ok(
      sim.stats().sent < total,
      `the broker closed the connection while the CRM was still sending (${sim.stats().sent} sent)`,
    );
    await waitFor(() => w.logged(/^reconnected to RabbitMQ/) === 1, 20_000, 'the first reconnect');
    await waitFor(() => commands.length >= 150, 20_000, '150 commands');
    proxy.cut();
    t.ok(sim.stats().sent < total, `the connection dropped while the CRM was still sending (${sim.stats().sent} sent)`);
    await waitFor(() => w.logged(/^reconnected to RabbitMQ/) === 2, 20_000, 'the second reconnect');

    const generator = createOrderGenerator({ seed: 3, runId: 'RC', partner: 'shop', ...shares });
    const ids = Array.from({ length: total }, (_, i) => orderIdFor('RC', i + 1));
    const expected = ids.flatMap((id, i) => {
      const { cancel, update } = generator.followUpsOf(i + 1);
      return [`${id}:create`, ...(update ? [`${id}:update`] : []), ...(cancel ? [`${id}:cancel`] : [])];
    });
    const heardIds = () => new Set(commands.map((c) => c.messageId));
    await waitFor(
      () => sim.stats().sent === total && expected.every((id) => heardIds().has(id)),
      20_000,
      'every command confirmed',
    );
    const missing = ids.filter((id) => !heardIds().has(`${id}:create`));
    t.same(missing, [], 'every order.create arrived at least once');
    t.same([...heardIds()].sort(), [...expected].sort(), 'every follow-up arrived too, and nothing else');
    t.equal(sim.stats().sent, total, 'the report counts 300 orders sent');
    t.equal(w.logged(/^lost the RabbitMQ connection .*; reconnecting$/), 2, 'one line per disconnect');
    t.equal(w.logged(/could not publish/), 0, 'nothing given up');

    // Play the gateway: every order is accepted and shipped; the CRM reports each delivered, and hears that too.
    let clock = Date.parse('2030-01-01T08:00:00Z');
    const answer = (
      orderId: string,
      kind: StatusChange['kind'],
      status: StatusChange['status'],
      extra: Partial<StatusChange> = {},
    ) => {
      clock += 1000;
      const at = new Date(clock).toISOString();
      const event: OrderEvent = {
        specversion: '1.0',
        id: randomUUID(),
        source: '/orderbridge',
        type: `dev.orderbridge.order.${kind}`,
        time: at,
        subject: orderId,
        datacontenttype: 'application/json',
        data: { orderId, kind, status, occurredAt: at, ...extra },
      };
      w.publish(w.amqp.exchanges.orderEvents, kind, event);
    };
    for (const id of ids) {
      answer(id, 'acknowledged', 'accepted', { acknowledgement: 'accepted', commandId: `${id}:create` });
      answer(id, 'status_changed', 'shipped', { previousStatus: 'accepted' });
    }
    await w.confirmed();
    await waitFor(() => new Set(facts.map((f) => f.orderId)).size === total, 20_000, 'order.delivered for every order');
    for (const id of ids) answer(id, 'status_changed', 'delivered', { previousStatus: 'shipped' });
    await w.confirmed();
    const report = await sim.done;

    t.match(report, { runId: 'RC', sent: total, finishedBy: 'settled', timedOut: false });
    t.same(report.unanswered, []);
    t.same(report.acknowledged, { accepted: total, rejected: 0, failed: 0 });
    t.same(report.byStatus, { delivered: total });
    t.equal(report.published, expected.length + total, 'every command and fact confirmed, each counted once');
  },
);

t.test(
  'while RabbitMQ is unreachable the CRM waits to publish and loses nothing; a stop then does not wait for it',
  async (t) => {
    const w = await world(t, 'ob-sim-reconnect');
    const commands = await w.listen<CrmCommand>(w.amqp.exchanges.crmCommands);
    const proxy = await brokerProxy(t);
    const mesLogs: string[] = [];
    const mes = await startMesSimulator({
      amqpUrl: proxy.url(w.vhost.name),
      queue: w.amqp.queues.mesCommands,
      exchange: w.amqp.exchanges.mesEvents,
      port: 0,
      log: (line) => mesLogs.push(line),
    });
    w.stops.push(() => mes.stop());
    const crm = await startCrmSimulator({
      amqpUrl: proxy.url(w.vhost.name),
      queue: w.amqp.queues.crmOrderEvents,
      commandExchange: w.amqp.exchanges.crmCommands,
      factExchange: w.amqp.exchanges.crmEvents,
      orders: 100,
      rate: 50,
      runId: 'OUT',
      settle: false,
      timeoutMs: 30000,
      log: (line) => w.logs.push(line),
    });
    w.stops.push(() => crm.stop());

    await waitFor(() => commands.length >= 20, 20_000, '20 commands');
    await proxy.down();
    // Long enough for several refused reconnects (200 ms, 400 ms, 800 ms, … apart).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const sentDuringOutage = crm.stats().sent;
    t.ok(sentDuringOutage < 100, `the CRM was still sending when RabbitMQ went away (${sentDuringOutage} sent)`);
    t.equal(w.logged(/^lost the RabbitMQ connection/), 1, 'one line for the disconnect, however many reconnects fail');
    await proxy.up();
    const report = await crm.done;
    t.match(report, { finishedBy: 'published', sent: 100, published: 100 });
    t.same(
      new Set(commands.map((c) => c.orderId)),
      new Set(Array.from({ length: 100 }, (_, i) => orderIdFor('OUT', i + 1))),
      'every order.create arrived',
    );
    t.equal(w.logged(/^reconnected to RabbitMQ/), 1, 'one line for the reconnect');

    await waitFor(
      () => mesLogs.some((line) => line.startsWith('reconnected to RabbitMQ')),
      20_000,
      'the MES to reconnect',
    );
    await proxy.down();
    await waitFor(
      () => mesLogs.filter((line) => line.startsWith('lost the RabbitMQ connection')).length === 2,
      20_000,
      'the MES to notice',
    );
    const stopping = Date.now();
    await mes.stop();
    t.ok(Date.now() - stopping < 2000, `the MES stops at once while RabbitMQ is away (${Date.now() - stopping} ms)`);
  },
);
