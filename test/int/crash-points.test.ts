import t, { type Test } from 'tap';
import * as fsp from 'node:fs/promises';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { submitPartnerOrder } from '../../src/app/submit-partner-order.js';
import { Watchdog } from '../../src/app/watchdog.js';
import { crmCreateCommand, mesEvent } from '../fixtures/mes-events.js';
import { Crash, type CrashPoint, crashPoints, crashScene, StepLog } from '../helpers/crash-points.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/sqlite/open.js';
import { createVhost } from '../helpers/vhost.js';

// Every boundary between a handler's steps, one case each: the pipeline stops there for good (as a
// process killed at that instant), the broker must still hold the input (nothing was acked before
// the work it stands for was durable and confirmed), and a fresh pipeline on the same ledger must
// finish the work: every message out exactly under its one id, no forwarded command without an
// acknowledgement deadline, nothing left pending.

type Scene = Awaited<ReturnType<typeof crashScene>>;

const vhost = await createVhost('ob-crash');
t.teardown(() => vhost.remove());

interface MessageRow {
  channel: string;
  message_id: string;
  state: string;
  attempts: number;
  due_at: number | null;
}

const accepted = (orderId: string) =>
  mesEvent('ACCEPTED', {
    orderId,
    eventId: `ev-${orderId}-accepted`,
    correlationId: mesCommandId(`crm-${orderId}`),
    at: new Date().toISOString(),
  });

const cancelledByCustomer = (orderId: string) => ({
  messageId: `fact-${orderId}-cancelled`,
  type: 'order.cancelled',
  orderId,
  occurredAt: new Date().toISOString(),
  reason: 'customer changed their mind',
});

const messageRows = (scene: Scene, orderId: string) =>
  scene.rows<MessageRow>(
    'SELECT channel, message_id, state, attempts, due_at FROM messages WHERE order_id = ? ORDER BY id',
    orderId,
  );

/** Copies of each message id that reached a collecting peer. */
function copiesById(received: { message: { properties: { messageId?: string } } }[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const { message } of received) {
    const id = String(message.properties.messageId);
    copies.set(id, (copies.get(id) ?? 0) + 1);
  }
  return copies;
}

/**
 * How many copies of a message a crash at this point may leave: none of its publishes had gone
 * out (1), they may have (1 or 2: the redelivery publishes again under the same id), or they were
 * confirmed and the redelivery cannot know it (2); once the ledger noted them, never again (1).
 */
const copiesAfter: Record<CrashPoint, readonly number[]> = {
  'after ledger write': [1],
  'after publish sent': [1, 2],
  'after confirm': [2],
  'before mark': [2],
  'after mark': [1],
  'before ack': [1],
};

/** Runs `send` on a pipeline that crashes at `at`, checks the input is still queued, and drains it on a fresh one. */
async function crashThenRecover(t: Test, scene: Scene, at: CrashPoint, inputQueue: string, send: () => Promise<void>) {
  const crash = new Crash(at);
  const crashing = await scene.start({ steps: crash });
  await send();
  await crash.reachedWithin(10_000);
  await crashing.crash();
  t.equal(await scene.waitingIn(inputQueue, 1), 1, `${at}: the input is back in its queue: it was not acked`);
  await scene.settle(await scene.start());
}

/** A clean pipeline forwards the order and, when asked, the MES accepts it; then it stops. */
async function orderAt(scene: Scene, orderId: string, { accept }: { accept: boolean }) {
  const forwarding = await scene.start();
  await scene.peer.publish(scene.exchanges.crmCommands, 'order.create', crmCreateCommand(orderId));
  await scene.settle(forwarding);
  if (accept) {
    const accepting = await scene.start();
    await scene.peer.publish(scene.exchanges.mesEvents, 'ORDER_ACCEPTED', accepted(orderId));
    await scene.settle(accepting);
  }
  scene.toMes.length = 0;
  scene.toCrm.length = 0;
}

for (const at of crashPoints) {
  t.test(`CRM command, crash ${at}: forwarded under its one id, with an acknowledgement deadline`, async (t) => {
    const scene = await crashScene(t, vhost);
    await crashThenRecover(t, scene, at, scene.queues.crmCommands, () =>
      scene.peer.publish(scene.exchanges.crmCommands, 'order.create', crmCreateCommand('C-1')),
    );
    const copies = copiesById(scene.toMes);
    t.same([...copies.keys()], [mesCommandId('crm-C-1')], 'only the deterministic MES message id');
    t.ok(
      copiesAfter[at].includes(copies.get(mesCommandId('crm-C-1'))!),
      `${copies.get(mesCommandId('crm-C-1'))} copies`,
    );
    const [command, forwarded] = messageRows(scene, 'C-1');
    t.match(command, { channel: 'crm.command', state: 'forwarded' });
    t.match(forwarded, { channel: 'mes.command', state: 'published', attempts: 1, due_at: Number });
    t.same(scene.deadLetters, []);
  });
}

for (const at of crashPoints) {
  t.test(
    `MES event, crash ${at}: the acknowledgement and the status reach the CRM, and are noted published`,
    async (t) => {
      const scene = await crashScene(t, vhost);
      await orderAt(scene, 'E-1', { accept: false });
      await crashThenRecover(t, scene, at, scene.queues.mesEvents, () =>
        scene.peer.publish(scene.exchanges.mesEvents, 'ORDER_ACCEPTED', accepted('E-1')),
      );
      const rows = messageRows(scene, 'E-1');
      const events = rows.filter((row) => row.channel === 'order.event');
      t.equal(events.length, 2, 'an acknowledgement and a status change');
      t.same(
        events.map((row) => row.state),
        ['published', 'published'],
        'both noted published',
      );
      const copies = copiesById(scene.toCrm);
      t.same([...copies.keys()].sort(), events.map((row) => row.message_id).sort(), 'the ledger ids, no other');
      for (const [id, count] of copies) t.ok(copiesAfter[at].includes(count), `${id}: ${count} copies`);
      t.match(
        rows.find((row) => row.channel === 'mes.command'),
        { due_at: null },
        'the command is acknowledged: no deadline left',
      );
      t.same(scene.deadLetters, []);
    },
  );
}

for (const at of crashPoints) {
  t.test(`CRM fact, crash ${at}: the cancellation reaches the order and the CRM once noted`, async (t) => {
    const scene = await crashScene(t, vhost);
    await orderAt(scene, 'F-1', { accept: true });
    await crashThenRecover(t, scene, at, scene.queues.crmEvents, () =>
      scene.peer.publish(scene.exchanges.crmEvents, 'order.cancelled', cancelledByCustomer('F-1')),
    );
    t.same(scene.rows('SELECT status FROM orders WHERE order_id = ?', 'F-1'), [{ status: 'cancelled' }]);
    const events = messageRows(scene, 'F-1').filter((row) => row.channel === 'order.event');
    const cancellation = events.at(-1)!;
    t.equal(cancellation.state, 'published');
    const copies = copiesById(scene.toCrm);
    t.same([...copies.keys()], [cancellation.message_id], 'the status change under its ledger id');
    t.ok(
      copiesAfter[at].includes(copies.get(cancellation.message_id)!),
      `${copies.get(cancellation.message_id)} copies`,
    );
    t.same(scene.deadLetters, []);
  });
}

// A partner's POST has no broker message to redeliver: what survives a crash is the ledger. The
// order and its message for the CRM are one write; the watchdog's sweep publishes what was not, and
// the partner's retry with the same key gets the order, never a second one.
for (const at of ['after ledger write', 'after publish sent', 'after confirm', 'before mark', 'after mark'] as const) {
  t.test(`partner POST, crash ${at}: one order, handed to the CRM, the retry answered with it`, async (t) => {
    const scene = await crashScene(t, vhost);
    const { toCrmRequests } = scene;
    const request = {
      partner: 'shop',
      idempotencyKey: 'K-1',
      order: { reference: 'PO-1', customer: { id: 'C-1', name: 'Acme' }, lines: [{ sku: 'BRKT-200', quantity: 1 }] },
    };
    const crash = new Crash(at);
    const crashing = await scene.start({ steps: crash });
    void submitPartnerOrder(crashing.deps, request);
    await crash.reachedWithin(10_000);
    await crashing.crash();

    const recovered = await scene.start();
    // Past the time after which an unanswered key counts as cut off, and the sweep's republish delay.
    const later = () => Date.now() + 60_000;
    const deps = { ...recovered.deps, clock: later };
    await new Watchdog(deps, { intervalMs: 60_000, maxAttempts: 3 }).tick();
    const retry = await submitPartnerOrder(deps, request);
    t.match(retry, { kind: 'accepted', replayed: true }, 'the retry gets the order');
    await scene.settle(recovered);
    t.equal(scene.rows('SELECT order_id FROM orders').length, 1, 'one order');
    const copies = copiesById(toCrmRequests);
    t.equal(copies.size, 1, 'one message id for the CRM');
    t.ok([1, 2].includes([...copies.values()][0]!), 'at most one repeat under the same id');
    t.same(scene.rows<{ state: string }>(`SELECT state FROM messages WHERE channel = 'crm.request'`), [
      { state: 'published' },
    ]);
  });
}

// With ledger.synchronous FULL a ledger write settles only after an fsync that began after its
// commit: the step after it (a publish, an ack) may rely on the write surviving a power cut.
t.test('no step follows a ledger write before the fsync that makes it durable has finished', async (t) => {
  const scene = await crashScene(t, vhost);
  const log = new StepLog();
  await noteFsyncs(t, log);
  const ledger = openSqliteLedger({
    path: scene.config.gateway.ledger.path,
    synchronous: 'FULL',
    policy: ledgerPolicy(scene.config),
  });
  const pipeline = await scene.start({ steps: log, ledger });
  await scene.peer.publish(scene.exchanges.crmCommands, 'order.create', crmCreateCommand('D-1'));
  await scene.settle(pipeline);
  // (Closing the ledger at the end syncs once more.)
  t.same(log.events.slice(0, log.events.indexOf('before ack') + 1), [
    'fsync started',
    'fsync done',
    'after ledger write',
    'after publish sent',
    'after confirm',
    'before mark',
    'fsync started',
    'fsync done',
    'after mark',
    'before ack',
  ]);
});

/**
 * Notes each fsync of a file handle (the ledger syncs its WAL through one) in `log`, until the
 * test ends: FileHandle.prototype.sync, reached through a handle of this very file.
 */
async function noteFsyncs(t: Test, log: StepLog): Promise<void> {
  const probe = await fsp.open(new URL(import.meta.url), 'r');
  const prototype = Object.getPrototypeOf(probe) as fsp.FileHandle;
  await probe.close();
  const sync = prototype.sync;
  prototype.sync = async function (this: fsp.FileHandle) {
    log.note('fsync started');
    await sync.call(this);
    log.note('fsync done');
  };
  t.teardown(() => {
    prototype.sync = sync;
  });
}
