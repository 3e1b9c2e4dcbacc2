// The ledger's behaviour, written once against its ports (LedgerStore), run against every driver:
// test/int/ledger.test.ts runs it on SQLite; a second store (PostgreSQL) runs the same suite.
import type { Test } from 'tap';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import type { Config, DeepPartial } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import type { CommandInput, LedgerStore, OpsLedger, OutMessage } from '../../src/ledger/index.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { mesEvent } from '../fixtures/mes-events.js';

export const T0 = Date.parse('2026-11-25T10:00:00Z');

export interface LedgerDriver {
  name: string;
  /** A fresh, empty ledger under the default config with these changes; removed in the test's teardown. */
  open(t: Test, gateway?: DeepPartial<GatewayConfig>): Promise<{ ledger: LedgerStore & OpsLedger; config: Config }>;
  /** Units of work the ledger's group commit has committed so far. */
  unitsCommitted(ledger: LedgerStore): number;
}

/** The CRM's order.create for `orderId`, as the pipeline hands it to the ledger. */
export function create(orderId: string, crmMessageId = `crm-${orderId}`): CommandInput {
  const mesId = mesCommandId(crmMessageId);
  return {
    crmMessageId,
    type: 'order.create',
    orderId,
    partner: 'shop',
    sentAt: new Date(T0).toISOString(),
    mes: { messageId: mesId, routingKey: 'CREATE_ORDER', payload: `{"header":{"messageId":"${mesId}"}}` },
  };
}

/**
 * What the pipeline does once the broker confirmed `out`: marks it published, and publishes (here:
 * confirms at once) the order events held behind it, until none is left. Returns all it confirmed.
 */
export async function confirm(ledger: LedgerStore, out: OutMessage[], at: number): Promise<OutMessage[]> {
  const confirmed: OutMessage[] = [];
  for (
    let next = out;
    next.length;
    next = await ledger.markPublished(
      next.map((m) => m.rowId),
      at,
    )
  )
    confirmed.push(...next);
  return confirmed;
}

/** The port-level behaviour every ledger driver must show, as subtests of `t`. */
export function ledgerConformance(t: Test, driver: LedgerDriver): void {
  const setup = async (t: Test, gateway: DeepPartial<GatewayConfig> = {}) => {
    const { ledger, config } = await driver.open(t, gateway);
    const event = (state: string, opts: Parameters<typeof mesEvent>[1] = {}) => {
      const read = readMesEvent(mesEvent(state, opts), config.dialect.events);
      if (!read.ok) throw new Error(read.problems.join());
      return {
        fields: read.fields,
        translation: translate(read.fields, config.dialect.states),
        type: 'ORDER_STATE_CHANGED',
      };
    };
    return { ledger, config, event };
  };

  t.test(
    'a command is forwarded once; its redelivery before the confirm forwards the same message again',
    async (t) => {
      const { ledger } = await setup(t);
      const first = await ledger.recordCommand(create('A-1'), T0);
      t.match(first, {
        kind: 'forward',
        redelivery: false,
        out: { channel: 'mes.command', messageId: mesCommandId('crm-A-1') },
      });
      t.same(
        await ledger.recordCommand(create('A-1'), T0 + 5),
        { kind: 'already_forwarded' },
        'a second copy from the CRM is not forwarded',
      );
      const again = await ledger.recordCommand({ ...create('A-1'), redelivered: true }, T0 + 10);
      t.match(
        again,
        { kind: 'forward', redelivery: true, out: { messageId: mesCommandId('crm-A-1') } },
        'a redelivery before the confirm forwards again, same id',
      );
      if (first.kind !== 'forward') throw new Error('expected forward');
      await ledger.markForwarded(first.out, T0 + 20);
      t.same(await ledger.recordCommand(create('A-1'), T0 + 30), { kind: 'already_forwarded' });
      const stats = await ledger.stats();
      t.same(stats.commandsByState, { forwarded: 1 });
      t.equal(stats.openCommands, 1);
    },
  );

  t.test('a second create for an order and a cancel for an unknown order are refused', async (t) => {
    const { ledger } = await setup(t);
    await ledger.recordCommand(create('A-2'), T0);
    t.match(await ledger.recordCommand(create('A-2', 'crm-other'), T0), {
      kind: 'refused',
      reason: /order A-2 already exists/,
    });
    const cancel: CommandInput = {
      crmMessageId: 'c-1',
      type: 'order.cancel',
      orderId: 'NOPE',
      sentAt: new Date(T0).toISOString(),
      mes: { messageId: mesCommandId('c-1'), routingKey: 'CANCEL_ORDER', payload: '{}' },
    };
    t.match(await ledger.recordCommand(cancel, T0), { kind: 'refused', reason: /unknown order NOPE/ });
    t.match(await ledger.recordCommand(cancel, T0), { kind: 'refused' }, 'the redelivery is refused the same way');
  });

  t.test(
    'acceptance by correlation id acknowledges the command and moves the status; a duplicate re-offers only unconfirmed events',
    async (t) => {
      const { ledger, event } = await setup(t);
      const fwd = await ledger.recordCommand(create('A-3'), T0);
      if (fwd.kind !== 'forward') throw new Error('expected forward');
      await ledger.markForwarded(fwd.out, T0);
      const accepted = await ledger.recordMesEvent(
        event('ACCEPTED', {
          eventId: 'e1',
          orderId: 'A-3',
          correlationId: mesCommandId('crm-A-3'),
          at: '2026-11-25T10:00:01Z',
        }),
        T0 + 1000,
      );
      t.match(accepted, { kind: 'recorded', state: 'applied' });
      if (accepted.kind !== 'recorded') throw new Error('expected recorded');
      t.same(
        accepted.publish.map((m) => m.routingKey),
        ['order.ack.accepted', 'order.status.accepted'],
      );
      const ack = JSON.parse(accepted.publish[0]!.payload);
      t.match(ack, {
        specversion: '1.0',
        type: 'dev.orderbridge.order.acknowledged',
        subject: 'A-3',
        data: { acknowledgement: 'accepted', commandId: 'crm-A-3' },
      });
      t.equal((await ledger.getOrder('A-3'))?.state.status, 'accepted');

      const copy = await ledger.recordMesEvent(
        event('ACCEPTED', { eventId: 'e1', orderId: 'A-3', correlationId: mesCommandId('crm-A-3') }),
        T0 + 1500,
      );
      t.same(copy, { kind: 'duplicate', publish: [] }, 'a duplicate copy leaves the publishing to the first');
      const dup = await ledger.recordMesEvent(
        {
          ...event('ACCEPTED', { eventId: 'e1', orderId: 'A-3', correlationId: mesCommandId('crm-A-3') }),
          redelivered: true,
        },
        T0 + 2000,
      );
      t.match(
        dup,
        { kind: 'duplicate', publish: [{ routingKey: 'order.ack.accepted' }, { routingKey: 'order.status.accepted' }] },
        'a redelivery offers the unconfirmed events again',
      );
      await ledger.markPublished(
        accepted.publish.map((m) => m.rowId),
        T0 + 2000,
      );
      t.match(
        await ledger.recordMesEvent(
          { ...event('ACCEPTED', { eventId: 'e1', orderId: 'A-3' }), redelivered: true },
          T0 + 3000,
        ),
        { kind: 'duplicate', publish: [] },
        'once confirmed, nothing',
      );
      t.same((await ledger.stats()).commandsByState, { acknowledged: 1 });
      t.same(await ledger.overdueCommands(T0 + 10 * 60_000, 10), [], 'an acknowledged command is never overdue');
    },
  );

  t.test('an id its sender used before for another message is refused as such, not dropped as a repeat', async (t) => {
    const { ledger } = await setup(t);
    const fwd = await ledger.recordCommand(create('A-ID1', 'crm-M-1'), T0);
    if (fwd.kind !== 'forward') throw new Error('expected forward');
    await ledger.markForwarded(fwd.out, T0);
    const cancel = { ...create('A-ID1', 'crm-M-1'), type: 'order.cancel' as const };
    t.match(await ledger.recordCommand(cancel, T0 + 1000), {
      kind: 'id_reused',
      reason:
        /crm-M-1 was used before, for order.create of order A-ID1: give this order.cancel of order A-ID1 an id of its own/,
    });
    t.match(await ledger.recordCommand(create('A-ID2', 'crm-M-1'), T0 + 2000), { kind: 'id_reused' }, 'another order');
    t.match(
      await ledger.recordCommand(create('A-ID1', 'crm-M-1'), T0 + 3000),
      { kind: 'already_forwarded' },
      'a repeat',
    );
    t.notOk(await ledger.getOrder('A-ID2'), 'no order made of the reused id');

    const fact = { messageId: 'crm-F-1', type: 'order.delivered', orderId: 'A-ID1', status: 'delivered' as const };
    const at = new Date(T0 + 4000).toISOString();
    await ledger.recordCrmFact({ ...fact, occurredAt: at }, T0 + 4000);
    t.match(
      await ledger.recordCrmFact({ ...fact, type: 'order.cancelled', status: 'cancelled', occurredAt: at }, T0 + 5000),
      { kind: 'id_reused', reason: /crm-F-1 was used before, for order.delivered of order A-ID1/ },
    );
    t.match(await ledger.recordCrmFact({ ...fact, occurredAt: at }, T0 + 6000), { kind: 'duplicate' }, 'a repeat');
    const deliveries = (await ledger.timeline('A-ID1')).filter((e) => e.kind === 'duplicate_delivery');
    t.equal(deliveries.length, 2, 'only the two repeats count as deliveries of the first messages');
  });

  t.test("a rejected command no CRM message answered needs a person, and names the command's type", async (t) => {
    const { ledger, event } = await setup(t);
    const fwd = await ledger.recordCommand(create('A-REJ'), T0);
    if (fwd.kind !== 'forward') throw new Error('expected forward');
    await ledger.markForwarded(fwd.out, T0);
    const correlationId = mesCommandId('crm-A-REJ');
    const at = '2026-11-25T10:00:01Z';
    await ledger.recordMesEvent(
      event('REJECTED', { eventId: 'e-rej', orderId: 'A-REJ', correlationId, at }),
      T0 + 1000,
    );
    const rows = await ledger.needsActionRows(T0 - 1000, T0 + 60_000);
    t.match(rows.unanswered, [{ orderId: 'A-REJ', outcome: 'rejected', command: 'order.create' }]);
  });

  t.test(
    'a state change without correlation is evidence of acceptance; late and unknown events are recorded, not applied',
    async (t) => {
      const { ledger, event } = await setup(t);
      const fwd = await ledger.recordCommand(create('A-4'), T0);
      if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
      const cutting = await ledger.recordMesEvent(
        event('CUTTING', { eventId: 'e2', orderId: 'A-4', at: '2026-11-25T10:05:00Z' }),
        T0 + 1000,
      );
      t.match(cutting, {
        kind: 'recorded',
        state: 'applied',
        publish: [{ routingKey: 'order.ack.accepted' }, { routingKey: 'order.status.in_production' }],
      });
      const late = await ledger.recordMesEvent(
        event('PLANNING', { eventId: 'e3', orderId: 'A-4', at: '2026-11-25T10:01:00Z' }),
        T0 + 2000,
      );
      t.match(late, { kind: 'recorded', state: 'out_of_order', publish: [] });
      const unknown = await ledger.recordMesEvent(
        event('SANDBLASTING', { eventId: 'e4', orderId: 'A-4', at: '2026-11-25T10:06:00Z' }),
        T0 + 3000,
      );
      t.match(unknown, { kind: 'recorded', state: 'quarantined', publish: [] });
      const stranger = await ledger.recordMesEvent(
        event('CUTTING', { eventId: 'e5', orderId: 'NEVER-SEEN' }),
        T0 + 3000,
      );
      t.match(stranger, { kind: 'recorded', state: 'quarantined' });
      t.equal((await ledger.getOrder('A-4'))?.state.status, 'in_production');
      t.same((await ledger.stats()).eventsByState, { applied: 1, out_of_order: 1, quarantined: 2 });
    },
  );

  t.test(
    'an unacknowledged command is re-forwarded with backoff, then flagged lost; a late acknowledgement clears the flag',
    async (t) => {
      const { ledger, event, config } = await setup(t, {
        acknowledgement: { deadline: '1s', maxAttempts: 3, backoff: 2, evidenceLookup: false },
      });
      t.equal(config.gateway.acknowledgement.deadline, '1s');
      const fwd = await ledger.recordCommand(create('A-5'), T0);
      if (fwd.kind !== 'forward') throw new Error('expected forward');
      await ledger.markForwarded(fwd.out, T0);
      t.same(await ledger.overdueCommands(T0 + 999, 10), [], 'not before the deadline');
      const [due1] = await ledger.overdueCommands(T0 + 1000, 10);
      t.match(due1, { orderId: 'A-5', attempts: 1 });
      t.match(
        await ledger.resolveOverdueCommand(due1!.rowId, T0 + 1000, undefined),
        [{ channel: 'mes.command', messageId: mesCommandId('crm-A-5') }],
        'same message id',
      );
      t.same(await ledger.overdueCommands(T0 + 2999, 10), [], 'second wait is deadline × 2');
      const [due2] = await ledger.overdueCommands(T0 + 3000, 10);
      t.match(await ledger.resolveOverdueCommand(due2!.rowId, T0 + 3000, undefined), [{ channel: 'mes.command' }]);
      const [due3] = await ledger.overdueCommands(T0 + 7000, 10);
      t.match(due3, { attempts: 3 });
      const lost = await ledger.resolveOverdueCommand(due3!.rowId, T0 + 7000, undefined);
      t.match(lost, [{ channel: 'order.event', routingKey: 'order.attention.lost' }]);
      t.match(JSON.parse(lost[0]!.payload), {
        data: { kind: 'attention_raised', attention: 'lost', commandId: 'crm-A-5' },
      });
      t.match(await ledger.getOrder('A-5'), { attention: { kind: 'lost', since: T0 + 7000 } });
      t.same(await ledger.overdueCommands(T0 + 60_000, 10), [], 'a lost command is not retried forever');
      await confirm(ledger, lost, T0 + 7000);

      const late = await ledger.recordMesEvent(
        event('ACCEPTED', { eventId: 'late', orderId: 'A-5', correlationId: mesCommandId('crm-A-5') }),
        T0 + 8000,
      );
      t.match(late, {
        kind: 'recorded',
        publish: [
          { routingKey: 'order.ack.accepted' },
          { routingKey: 'order.attention.cleared' },
          { routingKey: 'order.status.accepted' },
        ],
      });
      t.equal((await ledger.getOrder('A-5'))?.attention, null);
    },
  );

  t.test(
    'a mark sets the acknowledgement deadline, again when a redelivery marks twice, never after the answer',
    async (t) => {
      const { ledger, event } = await setup(t, {
        acknowledgement: { deadline: '1s', maxAttempts: 3, backoff: 2, evidenceLookup: false },
      });
      const first = await ledger.recordCommand(create('A-10'), T0);
      const again = await ledger.recordCommand({ ...create('A-10'), redelivered: true }, T0 + 10);
      if (first.kind !== 'forward' || again.kind !== 'forward') throw new Error('expected forward twice');
      await ledger.markForwarded(first.out, T0 + 20);
      await ledger.markForwarded(again.out, T0 + 30);
      t.same(await ledger.overdueCommands(T0 + 1029, 10), [], 'due from the later mark');
      t.match(await ledger.overdueCommands(T0 + 1030, 10), [{ orderId: 'A-10', attempts: 1 }]);

      const overtaken = await ledger.recordCommand(create('A-11'), T0);
      if (overtaken.kind !== 'forward') throw new Error('expected forward');
      await ledger.recordMesEvent(
        event('ACCEPTED', { eventId: 'e11', orderId: 'A-11', correlationId: mesCommandId('crm-A-11') }),
        T0 + 5,
      );
      await ledger.markForwarded(overtaken.out, T0 + 10);
      t.same(
        (await ledger.overdueCommands(T0 + 60_000, 10)).map((due) => due.orderId),
        ['A-10'],
        'the answered command has no deadline',
      );
      t.same((await ledger.stats()).commandsByState, { acknowledged: 1, forwarded: 1 });
    },
  );

  t.test('evidence from the MES API acknowledges instead of flagging lost', async (t) => {
    const { ledger } = await setup(t, {
      acknowledgement: { deadline: '1s', maxAttempts: 1, backoff: 2, evidenceLookup: true },
    });
    const fwd = await ledger.recordCommand(create('A-6'), T0);
    if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
    const [due] = await ledger.overdueCommands(T0 + 1000, 10);
    const out = await ledger.resolveOverdueCommand(due!.rowId, T0 + 1000, true);
    t.match(out, [{ routingKey: 'order.ack.accepted' }]);
    t.equal((await ledger.getOrder('A-6'))?.attention, null);
    t.same((await ledger.stats()).commandsByState, { acknowledged: 1 });
  });

  t.test('an order past its status deadline is flagged stuck once; progress clears it', async (t) => {
    const { ledger, event } = await setup(t, { stuck: { deadlines: { received: '10s', accepted: '5s' } } });
    const fwd = await ledger.recordCommand(create('A-7'), T0);
    if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
    const accepted = await ledger.recordMesEvent(
      event('ACCEPTED', {
        eventId: 'a7',
        orderId: 'A-7',
        correlationId: mesCommandId('crm-A-7'),
        at: '2026-11-25T10:00:01Z',
      }),
      T0 + 1000,
    );
    if (accepted.kind === 'recorded') await confirm(ledger, accepted.publish, T0 + 1000);
    t.same(await ledger.flagStuckOrders(T0 + 5999, 10), [], 'nothing due yet');
    const stuck = await ledger.flagStuckOrders(T0 + 6000, 10);
    t.match(stuck, [{ routingKey: 'order.attention.stuck' }]);
    await confirm(ledger, stuck, T0 + 6000);
    t.same(await ledger.flagStuckOrders(T0 + 60_000, 10), [], 'flagged once');
    const progress = await ledger.recordMesEvent(
      event('CUTTING', { eventId: 'c7', orderId: 'A-7', at: '2026-11-25T10:01:00Z' }),
      T0 + 61_000,
    );
    t.match(progress, {
      kind: 'recorded',
      publish: [{ routingKey: 'order.status.in_production' }, { routingKey: 'order.attention.cleared' }],
    });
  });

  t.test(
    "an order's changes written while an earlier one is unconfirmed are held, and go out one cause at a time, in order",
    async (t) => {
      const { ledger, event } = await setup(t);
      for (const id of ['A-10', 'B-10']) {
        const fwd = await ledger.recordCommand(create(id), T0);
        if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
      }
      const published = async (state: string, options: Parameters<typeof event>[1], at: number) => {
        const result = await ledger.recordMesEvent(event(state, options), at);
        if (result.kind !== 'recorded') throw new Error(`expected recorded, got ${result.kind}`);
        return result.publish;
      };
      const routingKeys = (out: OutMessage[]) => out.map((m) => m.routingKey);
      const accepted = await published(
        'ACCEPTED',
        { eventId: 'a10', orderId: 'A-10', correlationId: mesCommandId('crm-A-10') },
        T0 + 1000,
      );
      t.same(routingKeys(accepted), ['order.ack.accepted', 'order.status.accepted']);
      const cuttingAt = '2026-11-25T10:02:00Z';
      t.same(
        await published('CUTTING', { eventId: 'c10', orderId: 'A-10', at: cuttingAt }, T0 + 2000),
        [],
        'held: the accepted events are unconfirmed',
      );
      t.same(
        await published('PAUSED', { eventId: 'p10', orderId: 'A-10', at: '2026-11-25T10:03:00Z' }, T0 + 2500),
        [],
        'and the next change too',
      );
      const elsewhere = await published(
        'ACCEPTED',
        { eventId: 'b10', orderId: 'B-10', correlationId: mesCommandId('crm-B-10') },
        T0 + 2000,
      );
      t.equal(elsewhere.length, 2, "another order's events are not held");
      t.same(
        await ledger.recordMesEvent(
          { ...event('CUTTING', { eventId: 'c10', orderId: 'A-10', at: cuttingAt }), redelivered: true },
          T0 + 3000,
        ),
        { kind: 'duplicate', publish: [] },
        'a redelivery sends nothing ahead of the earlier events either',
      );
      t.same(
        (await ledger.unpublished(T0 + 60_000, 10)).map((m) => m.messageId),
        [...accepted, ...elsewhere].map((m) => m.messageId),
        'the sweep offers the earliest unconfirmed events of each order, not the held ones',
      );
      await confirm(ledger, elsewhere, T0 + 60_000);
      const cutting = await ledger.markPublished(
        accepted.map((m) => m.rowId),
        T0 + 61_000,
      );
      t.same(routingKeys(cutting), ['order.status.in_production'], 'confirming them releases the next cause only');
      t.same(await ledger.unpublished(T0 + 60_999, 10), [], 'a released event is not swept while it is in flight');
      t.same(
        routingKeys(await ledger.unpublished(T0 + 61_000, 10)),
        ['order.status.in_production'],
        'unconfirmed as long as an unconfirmed event (its publisher gone), the sweep sends it: not the one held behind it',
      );
      t.same(
        routingKeys(await ledger.markPublished([cutting[0]!.rowId], T0 + 62_000)),
        ['order.status.on_hold'],
        'then the one after it',
      );
      t.same(
        await ledger.markPublished(
          accepted.map((m) => m.rowId),
          T0 + 63_000,
        ),
        [],
        'a second confirmation of the same events releases nothing again',
      );
    },
  );

  t.test("a new order's status history begins at its creating command's time, then its changes", async (t) => {
    const { ledger, event } = await setup(t);
    await ledger.recordCommand(create('H-1'), T0 + 5);
    t.same(await ledger.statusHistory('H-1', 10), [
      { status: 'received', at: new Date(T0).toISOString(), source: 'crm' },
    ]);
    await ledger.recordMesEvent(
      event('ACCEPTED', { eventId: 'h1', orderId: 'H-1', correlationId: mesCommandId('crm-H-1') }),
      T0 + 1000,
    );
    t.same(
      (await ledger.statusHistory('H-1', 10)).map((entry) => entry.status),
      ['received', 'accepted'],
    );
    t.same(await ledger.statusHistory('NOPE-1', 10), [], 'an unknown order has none');
  });

  t.test('the order timeline lists messages and changes in time order', async (t) => {
    const { ledger, event } = await setup(t);
    const fwd = await ledger.recordCommand(create('A-8'), T0);
    if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0 + 5);
    await ledger.recordMesEvent(
      event('ACCEPTED', { eventId: 'a8', orderId: 'A-8', correlationId: mesCommandId('crm-A-8') }),
      T0 + 1000,
    );
    const timeline = await ledger.timeline('A-8');
    const kinds = timeline.map((e) => e.kind);
    t.same(kinds.slice(0, 3), ['received order.create', 'sent order.create', 'status_changed']);
    t.ok(kinds.includes('command_accepted'));
    t.ok(
      timeline.every((e, i) => i === 0 || e.at >= timeline[i - 1]!.at),
      'sorted by time',
    );
  });

  t.test(
    "a dead letter's origin is what the ledger recorded; a replay frees a refused id and is journalled",
    async (t) => {
      const { ledger } = await setup(t);
      await ledger.recordInvalid(
        { channel: 'mes.event', messageId: 'invalid:abc', reason: 'undecodable: not JSON' },
        T0,
      );
      const cancel: CommandInput = {
        crmMessageId: 'c-9',
        type: 'order.cancel',
        orderId: 'NOPE-9',
        sentAt: new Date(T0).toISOString(),
        mes: { messageId: mesCommandId('c-9'), routingKey: 'CANCEL_ORDER', payload: '{}' },
      };
      t.match(await ledger.recordCommand(cancel, T0), { kind: 'refused' });
      t.same(await ledger.deadLetteredChannels(['invalid:abc']), ['mes.event'], "by the dead letter's own id");
      t.same(await ledger.deadLetteredChannels(['c-9']), ['crm.command'], "by the refused message's id");
      t.same(await ledger.deadLetteredChannels(['never-seen']), [], 'nothing for a letter the gateway did not make');
      await ledger.releaseDeadLetter(
        'crm.command',
        ['c-9'],
        { id: 'invalid:def', orderId: 'NOPE-9', replays: 1 },
        T0 + 1000,
      );
      t.same(
        await ledger.deadLetteredChannels(['c-9']),
        ['crm.command'],
        'still found after its id was freed (a replay that found no queue can be tried again)',
      );
      t.match(
        await ledger.recordCommand(cancel, T0 + 2000),
        { kind: 'refused' },
        'the replayed copy is handled afresh (refused again: its order is still unknown)',
      );
      t.ok(
        (await ledger.timeline('NOPE-9')).some((e) => e.kind === 'replayed'),
        "the replay is in the order's timeline",
      );
    },
  );
  t.test('a watchdog tick with nothing due writes nothing (no commit, no fsync)', async (t) => {
    const { ledger } = await setup(t, { stuck: { deadlines: { received: '10s' } } });
    await ledger.recordCommand(create('U-1'), T0);
    const unitsBefore = driver.unitsCommitted(ledger);
    t.same(await ledger.flagStuckOrders(T0 + 9999, 10), []);
    t.same(await ledger.overdueCommands(T0 + 9999, 10), []);
    t.same(await ledger.unpublished(T0 + 9999, 10), []);
    t.equal(driver.unitsCommitted(ledger), unitsBefore, 'no unit, so no commit');
  });

  t.test('the MES messages kept as they arrived are read back by window, oldest first, up to a limit', async (t) => {
    const { ledger, event } = await setup(t);
    await ledger.recordCommand(create('K-1'), T0);
    for (const [i, state] of ['ACCEPTED', 'PLANNING', 'CUTTING'].entries())
      await ledger.recordMesEvent(
        { ...event(state, { eventId: `k-${i}`, orderId: 'K-1' }), body: `{"kept":${i}}` },
        T0 + 1000 * (i + 1),
      );
    await ledger.recordMesEvent(event('PACKING', { eventId: 'k-unkept', orderId: 'K-1' }), T0 + 5000);
    t.same(await ledger.mesEventBodies(T0, T0 + 10_000, 10), [
      { body: '{"kept":0}', receivedAt: T0 + 1000 },
      { body: '{"kept":1}', receivedAt: T0 + 2000 },
      { body: '{"kept":2}', receivedAt: T0 + 3000 },
    ]);
    t.same(
      (await ledger.mesEventBodies(T0 + 2000, T0 + 3000, 10)).map((m) => m.body),
      ['{"kept":1}'],
      '[from, to)',
    );
    t.equal((await ledger.mesEventBodies(T0, T0 + 10_000, 2)).length, 2, 'at most the limit');
  });
}
