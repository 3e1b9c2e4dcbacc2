import t from 'tap';
import { referenceMesValidators } from '../../sim/mes/contracts.js';
import { join, resolve } from 'node:path';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { loadConfig } from '../../src/config/index.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import type { MesCommand } from '../../sim/generated/mes/reference/command.js';
import type { MesEvent } from '../../sim/generated/mes/reference/event.js';
import { createVhost } from '../helpers/vhost.js';
import { planFaults, startMesSimulator, type MesSimulatorOptions, type MesStats } from '../../sim/mes/index.js';
import { waitFor } from '../helpers/wait-for.js';

const configDir = join(resolve(import.meta.dirname, '../..'), 'config');
const validEvent = referenceMesValidators().event;

// The last overload of t.test is (cb), so this is the type of a subtest.
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** A vhost with the gateway's topology, the MES simulator in-process, and the test playing the gateway. */
async function mesWorld(t: Test, options: MesSimulatorOptions = {}) {
  const vhost = await createVhost('ob-sim-mes');
  const config = loadConfig({ dir: configDir, env: { AMQP_URL: vhost.url } });
  const amqp = config.gateway.amqp;
  const connection = await connect(vhost.url);
  const setup = await connection.createChannel();
  await declareTopology(setup, amqp);

  const heard: MesEvent[] = [];
  const watch = await connection.createChannel();
  const { queue } = await watch.assertQueue('', { exclusive: true });
  await watch.bindQueue(queue, amqp.exchanges.mesEvents, '#');
  await watch.consume(queue, (message) => {
    if (!message) return;
    heard.push(JSON.parse(message.content.toString()) as MesEvent);
    watch.ack(message);
  });
  const commands = await connection.createConfirmChannel();

  const sim = await startMesSimulator({
    amqpUrl: vhost.url,
    queue: amqp.queues.mesCommands,
    exchange: amqp.exchanges.mesEvents,
    port: 0,
    stepMs: 5,
    seed: 7,
    qcFailShare: 0,
    ...options,
  });
  t.teardown(async () => {
    await sim.stop();
    await connection.close();
    await vhost.remove();
  });

  const publish = async (body: unknown, routingKey = 'command') => {
    commands.publish(
      amqp.exchanges.mesCommands,
      routingKey,
      Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      { persistent: true, contentType: 'application/json' },
    );
    await commands.waitForConfirms();
  };
  const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${sim.port}${path}`, init);
  const eventsOf = (ref: string) => heard.filter((event) => event.order.externalRef === ref);
  return { sim, heard, publish, api, eventsOf, dialect: config.dialect };
}

function command(messageType: MesCommand['header']['messageType'], externalRef: string, messageId: string): MesCommand {
  const body: MesCommand['body'] =
    messageType === 'CREATE_ORDER'
      ? {
          externalRef,
          customerNo: 'C-1',
          customerName: 'Acme',
          priority: 5,
          positions: [{ pos: 10, material: 'BRK-2040', qty: 4, uom: 'PCE' }],
        }
      : messageType === 'CANCEL_ORDER'
        ? { externalRef, cancelReason: 'customer changed their mind' }
        : { externalRef, remark: 'please hurry' };
  return { header: { messageId, messageType, sender: 'ORDERBRIDGE', createdAt: new Date().toISOString() }, body };
}

/** Checks one order's events (in the order given) walk the workflow of the reference dialect with rising createdAt. */
function checkWalk(t: Test, events: MesEvent[], dialect: { states: Record<string, { next?: string[] }> }, ref: string) {
  for (const event of events) {
    const valid = validEvent(event);
    t.ok(
      valid.ok,
      `${event.header.eventId} matches the MES event contract`,
      valid.ok ? {} : { problems: valid.problems },
    );
  }
  const states = events.map((event) => event.order.state);
  t.equal(states[0], 'ACCEPTED', `${ref} starts ACCEPTED`);
  for (let i = 1; i < events.length; i++) {
    const [before, after] = [events[i - 1]!, events[i]!];
    if (!dialect.states[before.order.state]?.next?.includes(after.order.state))
      t.fail(`${ref}: ${before.order.state} → ${after.order.state} is not in the dialect's workflow`);
    if (after.order.previousState !== before.order.state)
      t.fail(
        `${ref}: previousState of ${after.order.state} is ${after.order.previousState}, not ${before.order.state}`,
      );
    if (!(after.header.createdAt > before.header.createdAt))
      t.fail(`${ref}: createdAt not strictly increasing at ${after.order.state}`);
  }
  return states;
}

t.test('a CREATE_ORDER sent twice is accepted once, walks to DISPATCHED and is served by the API', async (t) => {
  const world = await mesWorld(t, { qcFailShare: 1 });
  await world.publish(command('CREATE_ORDER', 'ORD-1', 'cmd-1'));
  await world.publish(command('CREATE_ORDER', 'ORD-1', 'cmd-1'));
  await waitFor(() => world.eventsOf('ORD-1').some((e) => e.order.state === 'DISPATCHED'), 10_000, 'ORD-1 dispatched');

  const events = world.eventsOf('ORD-1');
  const accepted = events.filter((e) => e.header.eventType === 'ORDER_ACCEPTED');
  t.equal(accepted.length, 1, 'exactly one ORDER_ACCEPTED');
  t.equal(accepted[0]?.header.correlationId, 'cmd-1', 'it answers the command');
  t.equal(accepted[0]?.order.mesOrderNo, 'M-000001');
  const states = checkWalk(t, events, world.dialect, 'ORD-1');
  t.same(states, [
    'ACCEPTED',
    'PLANNING',
    'MATERIAL_RESERVATION',
    'CUTTING',
    'MACHINING',
    'WELDING',
    'ASSEMBLY',
    'QC_INSPECTION',
    'QC_FAILED',
    'REWORK',
    'QC_INSPECTION',
    'PACKING',
    'READY_FOR_DISPATCH',
    'DISPATCHED',
  ]);
  t.equal(new Set(events.map((e) => e.header.eventId)).size, events.length, 'event ids are unique');
  t.ok(
    events.every((e, i) => i === 0 || e.header.correlationId === undefined),
    'production steps answer no command',
  );

  const stats = world.sim.stats();
  t.equal(stats.commandsReceived, 2);
  t.equal(stats.duplicateCommands, 1);
  t.equal(stats.orders['ORD-1'], 'DISPATCHED');
  t.equal(stats.ordersByState.DISPATCHED, 1);

  const byRef = await world.api('/orders?externalRef=ORD-1');
  t.equal(byRef.status, 200);
  const resource = (await byRef.json()) as {
    mesOrderNo: string;
    externalRef: string;
    state: string;
    history: { state: string; at: string }[];
    updatedAt: string;
  };
  t.match(resource, { mesOrderNo: 'M-000001', externalRef: 'ORD-1', state: 'DISPATCHED' });
  t.same(
    resource.history.map((h) => h.state),
    states,
    'the history is what the events said',
  );
  t.same(
    resource.history.map((h) => h.at),
    events.map((e) => e.header.createdAt),
    'at the times the events said',
  );
  t.equal(resource.updatedAt, events.at(-1)?.header.createdAt);
  t.same(await (await world.api('/orders/M-000001')).json(), resource);

  for (const path of ['/orders/M-999999', '/orders?externalRef=ORD-404']) {
    const missing = await world.api(path);
    t.equal(missing.status, 404, `${path} is 404`);
    t.equal(missing.headers.get('content-type'), 'application/problem+json');
    t.match(await missing.json(), { status: 404, title: 'Order not found' });
  }
  t.equal((await world.api('/orders')).status, 400, 'GET /orders needs externalRef');
  t.equal((await world.api('/worklist?limit=0')).status, 400, 'a bad limit is a 400');
  t.same(await (await world.api('/worklist')).json(), { total: 0, orders: [] }, 'nothing on the shop floor');
  t.same(await (await world.api('/stats')).json(), world.sim.stats(), 'GET /stats is stats()');
});

t.test(
  'CANCEL and CHANGE after dispatch are refused, for an unknown order UNKNOWN_ORDER; invalid commands are counted',
  async (t) => {
    const world = await mesWorld(t);
    await world.publish(command('CREATE_ORDER', 'ORD-2', 'create-2'));
    await waitFor(() => world.sim.stats().orders['ORD-2'] === 'DISPATCHED', 10_000, 'ORD-2 dispatched');
    await world.publish(command('CANCEL_ORDER', 'ORD-2', 'cancel-2'));
    await world.publish(command('CHANGE_ORDER', 'ORD-2', 'change-2'));
    await world.publish(command('CANCEL_ORDER', 'ORD-NONE', 'cancel-none'));
    await world.publish('{ not json');
    await world.publish({
      header: { messageId: 'x', messageType: 'EXPLODE', sender: 'ORDERBRIDGE', createdAt: new Date().toISOString() },
      body: { externalRef: 'ORD-2' },
    });
    await waitFor(
      () => world.heard.filter((e) => e.header.eventType === 'ORDER_REJECTED').length === 3,
      10_000,
      'three answers',
    );
    await waitFor(() => world.sim.stats().invalidCommands === 2, 10_000, 'invalid commands counted');

    const answer = (id: string) => world.heard.find((e) => e.header.correlationId === id);
    t.match(answer('cancel-2'), {
      header: { eventType: 'ORDER_REJECTED' },
      order: { externalRef: 'ORD-2', state: 'REJECTED', mesOrderNo: 'M-000001' },
      error: { code: 'CANCEL_REFUSED' },
    });
    t.match(answer('change-2'), {
      header: { eventType: 'ORDER_REJECTED' },
      order: { state: 'REJECTED' },
      error: { code: 'CHANGE_REFUSED' },
    });
    t.match(answer('cancel-none'), {
      header: { eventType: 'ORDER_REJECTED' },
      order: { externalRef: 'ORD-NONE', state: 'REJECTED' },
      error: { code: 'UNKNOWN_ORDER' },
    });
    const ordTwo = world.eventsOf('ORD-2');
    t.ok(
      ordTwo.every((e, i) => i === 0 || e.header.createdAt > ordTwo[i - 1]!.header.createdAt),
      'refusals are later than the dispatch',
    );
    const stats = world.sim.stats();
    t.equal(stats.orders['ORD-2'], 'DISPATCHED', 'a refused command leaves the order as it was');
    t.equal(stats.orders['ORD-NONE'], undefined);
    t.equal(stats.invalidCommands, 2);
    t.equal(stats.commandsReceived, 6);
  },
);

t.test(
  'CHANGE acknowledges with the current state; CANCEL in production stops the walk; the work list shows the floor',
  async (t) => {
    const world = await mesWorld(t, { stepMs: 150 });
    await world.publish(command('CREATE_ORDER', 'ORD-3', 'create-3'));
    await waitFor(
      () => ['MATERIAL_RESERVATION', 'CUTTING'].includes(world.sim.stats().orders['ORD-3'] ?? ''),
      10_000,
      'ORD-3 on the floor',
    );

    const worklist = (await (await world.api('/worklist?limit=5')).json()) as {
      total: number;
      orders: { externalRef: string; mesOrderNo: string }[];
    };
    t.equal(worklist.total, 1);
    t.match(worklist.orders[0], { externalRef: 'ORD-3', mesOrderNo: 'M-000001' });

    await world.publish(command('CHANGE_ORDER', 'ORD-3', 'change-3'));
    await waitFor(() => world.heard.some((e) => e.header.correlationId === 'change-3'), 10_000, 'change answered');
    const change = world.heard.find((e) => e.header.correlationId === 'change-3')!;
    t.equal(change.header.eventType, 'ORDER_STATE_CHANGED');
    const stateAtChange = change.order.state;
    t.ok(
      ['MATERIAL_RESERVATION', 'CUTTING', 'MACHINING'].includes(stateAtChange),
      `change echoes the current state (${stateAtChange})`,
    );

    await world.publish(command('CANCEL_ORDER', 'ORD-3', 'cancel-3'));
    await waitFor(() => world.heard.some((e) => e.header.correlationId === 'cancel-3'), 10_000, 'cancel answered');
    const cancelled = world.heard.find((e) => e.header.correlationId === 'cancel-3')!;
    t.match(cancelled, {
      header: { eventType: 'ORDER_STATE_CHANGED' },
      order: { state: 'CANCELLED', externalRef: 'ORD-3' },
    });
    t.ok(cancelled.order.previousState, 'with the state it left');
    const countAtCancel = world.eventsOf('ORD-3').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.equal(world.eventsOf('ORD-3').length, countAtCancel, 'no step after CANCELLED');
    t.equal(world.eventsOf('ORD-3').at(-1)?.order.state, 'CANCELLED');
    t.equal(world.sim.stats().orders['ORD-3'], 'CANCELLED');
    t.same(
      await (await world.api('/worklist')).json(),
      { total: 0, orders: [] },
      'a cancelled order leaves the work list',
    );
  },
);

t.test('drop, stall, reject and error shares hit exactly the orders the seed selects', async (t) => {
  const shares = { drop: 0.1, stall: 0.1, reject: 0.1, error: 0.2, qcFail: 0 };
  const seed = 7;
  const world = await mesWorld(t, {
    seed,
    dropShare: shares.drop,
    stallShare: shares.stall,
    rejectShare: shares.reject,
    errorShare: shares.error,
  });
  const refs = Array.from({ length: 40 }, (_, i) => `ORD-F-${i}`);
  const plans = new Map(refs.map((ref) => [ref, planFaults(ref, shares, seed)]));
  const expected = (fault: string) => refs.filter((ref) => plans.get(ref)!.fault === fault).sort();
  for (const fault of ['dropped', 'stalled', 'rejected', 'errored'])
    t.ok(expected(fault).length > 0, `seed ${seed} selects some ${fault} orders`);

  for (const ref of refs) await world.publish(command('CREATE_ORDER', ref, `create-${ref}`));
  const settled = (stats: MesStats) =>
    refs.every((ref) => {
      const fault = plans.get(ref)!.fault;
      const state = stats.orders[ref];
      return fault === 'dropped'
        ? state === undefined
        : fault === 'stalled'
          ? state === 'ACCEPTED'
          : fault === 'rejected'
            ? state === 'REJECTED'
            : state === 'DISPATCHED';
    });
  await waitFor(
    () => settled(world.sim.stats()) && world.sim.stats().commandsReceived === refs.length,
    10_000,
    'every order where its fault leaves it',
  );
  await new Promise((resolve) => setTimeout(resolve, 200));

  const stats = world.sim.stats();
  t.same(stats.faults.dropped, expected('dropped'));
  t.same(stats.faults.stalled, expected('stalled'));
  t.same(stats.faults.rejected, expected('rejected'));
  t.same(stats.faults.errored, expected('errored'));
  t.equal(stats.droppedCommands, expected('dropped').length);
  t.equal(Object.keys(stats.orders).length, refs.length - expected('dropped').length, 'dropped orders leave no record');

  for (const ref of expected('dropped')) t.equal(world.eventsOf(ref).length, 0, `${ref} (dropped) has no event`);
  for (const ref of expected('stalled'))
    t.same(
      world.eventsOf(ref).map((e) => e.order.state),
      ['ACCEPTED'],
      `${ref} (stalled) never moves`,
    );
  for (const ref of expected('rejected')) {
    t.match(
      world.eventsOf(ref),
      [
        {
          header: { eventType: 'ORDER_REJECTED', correlationId: `create-${ref}` },
          order: { state: 'REJECTED' },
          error: { code: 'NO_CAPACITY' },
        },
      ],
      `${ref} rejected`,
    );
  }
  for (const ref of expected('errored')) {
    const states = checkWalk(t, world.eventsOf(ref), world.dialect, ref);
    const at = states.indexOf('ERROR');
    const errorEvent = world.eventsOf(ref)[at]!;
    t.match(
      errorEvent,
      {
        header: { eventType: 'PROCESSING_ERROR' },
        order: { state: 'ERROR', previousState: plans.get(ref)!.errorAt },
        error: { code: 'MACHINE_FAULT' },
      },
      `${ref} errors in ${plans.get(ref)!.errorAt}`,
    );
    t.equal(states.at(-1), 'DISPATCHED', `${ref} resumes and ships`);
  }
  const stateResponse = (await (await world.api(`/orders?externalRef=${expected('stalled')[0]}`)).json()) as {
    state: string;
  };
  t.equal(stateResponse.state, 'ACCEPTED', 'the API shows a stalled order where it stalled');
  t.equal(
    (await world.api(`/orders?externalRef=${expected('dropped')[0]}`)).status,
    404,
    'the API does not know a dropped order',
  );
});

t.test('duplicate and reorder switches really duplicate and reorder events, and nothing is lost', async (t) => {
  // Few orders and a wide window, so that one window holds several steps of the same order.
  const world = await mesWorld(t, { duplicateShare: 0.3, reorderWindow: 12 });
  const refs = Array.from({ length: 4 }, (_, i) => `ORD-R-${i}`);
  for (const ref of refs) await world.publish(command('CREATE_ORDER', ref, `create-${ref}`));
  await waitFor(
    () => refs.every((ref) => world.eventsOf(ref).some((e) => e.order.state === 'DISPATCHED')),
    10_000,
    'every DISPATCHED heard',
  );
  await waitFor(
    () => {
      const stats = world.sim.stats();
      return world.heard.length === stats.eventsPublished + stats.eventsDuplicated;
    },
    10_000,
    'every copy heard',
  );

  const stats = world.sim.stats();
  const copies = new Map<string, MesEvent[]>();
  for (const event of world.heard)
    copies.set(event.header.eventId, [...(copies.get(event.header.eventId) ?? []), event]);
  const twice = [...copies.values()].filter((same) => same.length === 2);
  t.ok(stats.eventsDuplicated > 0, `${stats.eventsDuplicated} events duplicated`);
  t.equal(twice.length, stats.eventsDuplicated, 'each duplicated event was heard exactly twice');
  t.ok(
    [...copies.values()].every((same) => same.length <= 2),
    'never more than twice',
  );
  t.ok(
    twice.every(([a, b]) => JSON.stringify(a) === JSON.stringify(b)),
    'a duplicate is an exact copy',
  );
  t.equal(copies.size, stats.eventsPublished);

  const reordered = refs.filter((ref) =>
    world.eventsOf(ref).some((e, i, all) => i > 0 && e.header.createdAt < all[i - 1]!.header.createdAt),
  );
  t.ok(reordered.length > 0, `${reordered.length} orders heard some events out of order`);
  for (const ref of refs) {
    const unique = [...new Map(world.eventsOf(ref).map((e) => [e.header.eventId, e])).values()].sort((a, b) =>
      a.header.createdAt < b.header.createdAt ? -1 : 1,
    );
    const states = checkWalk(t, unique, world.dialect, ref);
    t.equal(states.at(-1), 'DISPATCHED', `${ref}: by createdAt the walk is complete`);
  }
});

t.test('the API slows down with load, can be taken down, and validates POST /faults', async (t) => {
  const world = await mesWorld(t, { apiLatencyMs: 0 });
  const post = (body: string) =>
    world.api('/faults', { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  const badBodies: [string, string][] = [
    ['{ nope', ''],
    ['[1]', ''],
    ['{"apiDown":"yes"}', '/apiDown'],
    ['{"apiLatencyMs":-5}', '/apiLatencyMs'],
    ['{"explode":true}', '/explode'],
  ];
  for (const [body, pointer] of badBodies) {
    const response = await post(body);
    t.equal(response.status, 400, `${body} is refused`);
    const problem = (await response.json()) as { pointer?: string };
    if (pointer) t.equal(problem.pointer, pointer);
  }

  const timings = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const started = performance.now();
      await world.api('/orders?externalRef=ORD-X');
      return performance.now() - started;
    }),
  );
  t.ok(
    Math.max(...timings) >= 150,
    `a burst of 100 requests slows the API (slowest ${Math.round(Math.max(...timings))} ms)`,
  );

  t.same(await (await post('{"apiDown":true}')).json(), { apiLatencyMs: 0, apiDown: true });
  const down = await world.api('/orders?externalRef=ORD-X');
  t.equal(down.status, 503);
  t.equal(down.headers.get('content-type'), 'application/problem+json');
  t.equal((await world.api('/stats')).status, 200, '/stats still answers');

  t.same(await (await post('{"apiDown":false,"apiLatencyMs":300}')).json(), { apiLatencyMs: 300, apiDown: false });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const started = performance.now();
  t.equal((await world.api('/orders?externalRef=ORD-X')).status, 404);
  const elapsed = performance.now() - started;
  t.ok(elapsed >= 290 && elapsed < 550, `the base latency applies, once (${Math.round(elapsed)} ms)`);
});
