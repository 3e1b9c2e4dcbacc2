import t from 'tap';
import { decideCommandIntake, decideFactIntake, decideMesEventIntake } from '../../src/ledger/decide-intake.js';
import { decideOverdueCommand } from '../../src/ledger/decide-watchdog.js';
import type { OpenCommand, OrderRecord } from '../../src/ledger/model.js';
import type { Quarantine, Translation } from '../../src/mapping/index.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const order: OrderRecord = {
  orderId: 'O-1',
  partner: 'shop',
  state: { status: 'received', statusSince: '2026-11-25T10:00:00Z', lastFactAt: { crm: '2026-11-25T10:00:00Z' } },
  statusEnteredAt: T0,
  stuckAt: null,
  attention: null,
  createdAt: T0,
  updatedAt: T0,
  version: 1,
};
const event = { eventId: 'e-1', orderId: 'O-1', state: 'CUTTING', occurredAt: '2026-11-25T10:00:05Z' };

t.test('a CRM command goes to the MES only if its order is in the state the command needs', async (t) => {
  t.same(
    decideCommandIntake({ type: 'order.create', orderId: 'O-1' }, undefined, 1),
    { kind: 'create_order' },
    'a create of a new order makes it',
  );
  t.same(
    decideCommandIntake({ type: 'order.create', orderId: 'O-1' }, order, 1),
    { kind: 'forward' },
    "the CRM's first create of a partner's order answers it",
  );
  t.same(
    decideCommandIntake({ type: 'order.create', orderId: 'O-1' }, order, 2),
    { kind: 'refused', reason: 'order O-1 already exists' },
    'a second create is refused',
  );
  t.same(decideCommandIntake({ type: 'order.cancel', orderId: 'O-1' }, order, 0), { kind: 'forward' });
  t.same(
    decideCommandIntake({ type: 'order.update', orderId: 'O-9' }, undefined, 0),
    { kind: 'refused', reason: 'unknown order O-9: no order.create was seen for it' },
    'a follow-up of an unknown order is refused',
  );
});

t.test('an MES event in an unknown state, or about an unknown order, is quarantined; otherwise applied', async (t) => {
  const translated: Translation = { kind: 'translated', event, status: 'in_production' };
  const unknownState: Quarantine = {
    kind: 'quarantine',
    event,
    reason: 'unknown MES state "CUTTING": add it to the dialect\'s states',
  };
  t.same(decideMesEventIntake(translated, order, T0), { kind: 'apply', order, translation: translated });
  t.same(decideMesEventIntake(unknownState, order, T0), {
    kind: 'quarantined',
    reason: unknownState.reason,
    journal: { kind: 'quarantined', detail: { mesState: 'CUTTING', reason: unknownState.reason } },
  });
  t.match(decideMesEventIntake(translated, undefined, T0), {
    kind: 'quarantined',
    reason: 'unknown order O-1: it never came through the gateway',
  });
});

t.test('a CRM fact about an unknown order is refused', async (t) => {
  const fact = { orderId: 'O-1', occurredAt: '2026-11-25T10:00:05Z' };
  t.same(decideFactIntake(fact, order, T0), { kind: 'apply', order });
  t.same(decideFactIntake({ ...fact, orderId: 'O-9' }, undefined, T0), {
    kind: 'refused',
    reason: 'unknown order O-9',
  });
});

t.test(
  'a fact dated more than a day ahead is held back: it would make every real fact after it out of order',
  async (t) => {
    const future = { ...event, occurredAt: '2999-01-01T00:00:00Z' };
    const translated: Translation = { kind: 'translated', event: future, status: 'in_production' };
    t.match(decideMesEventIntake(translated, order, T0), {
      kind: 'quarantined',
      reason:
        /^dated 2999-01-01T00:00:00Z, \d+ h ahead of the gateway's clock \(more than a day\): check the MES's clock and time zone$/,
    });
    const threeHours = { ...event, occurredAt: new Date(T0 + 3 * 3_600_000).toISOString() };
    t.match(
      decideMesEventIntake({ kind: 'translated', event: threeHours, status: 'in_production' }, order, T0),
      { kind: 'apply' },
      'an MES three hours ahead in every event (local time written with a Z) keeps working',
    );
    t.match(decideFactIntake({ orderId: 'O-1', occurredAt: '2999-01-01T00:00:00Z' }, order, T0), {
      kind: 'refused',
      reason: /check the CRM's clock/,
    });
  },
);

t.test(
  'after the last forward, an order the MES API knows is accepted by that evidence, not flagged lost',
  async (t) => {
    const command: OpenCommand = {
      rowId: 2,
      sourceRowId: 1,
      crmMessageId: 'crm-1',
      mesMessageId: 'ob-1',
      type: 'order.create',
      state: 'forwarded',
      attempts: 3,
      queuedAt: T0,
    };
    const policy = { deadlineMs: 30_000, maxAttempts: 3, backoff: 2 };
    const now = T0 + 600_000;
    t.match(decideOverdueCommand(command, order, now, policy, true), {
      kind: 'accepted_by_evidence',
      reason: 'evidence: the MES API knows the order',
      changes: [
        {
          kind: 'acknowledged',
          acknowledgement: 'accepted',
          commandId: 'crm-1',
          status: 'received',
          occurredAt: new Date(now).toISOString(),
        },
      ],
      journal: [{ kind: 'command_accepted', detail: { commandId: 'crm-1', by: 'evidence: MES API lookup' } }],
    });
    t.match(
      decideOverdueCommand(command, order, now, policy, false),
      { kind: 'lost' },
      'the MES does not know it: lost',
    );
    t.match(decideOverdueCommand(command, order, now, policy, undefined), { kind: 'lost' }, 'nobody asked: lost');
    t.match(
      decideOverdueCommand({ ...command, attempts: 1 }, order, now, policy, true),
      { kind: 'reforward' },
      'attempts left: forwarded again, evidence or not',
    );
  },
);
