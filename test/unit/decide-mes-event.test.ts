import t from 'tap';
import { decideMesEvent } from '../../src/ledger/decide-mes-event.js';
import type { OpenCommand, OrderRecord } from '../../src/ledger/model.js';
import type { Translation } from '../../src/mapping/index.js';

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
const create: OpenCommand = {
  rowId: 2,
  sourceRowId: 1,
  crmMessageId: 'crm-1',
  mesMessageId: 'ob-1',
  type: 'order.create',
  state: 'forwarded',
  attempts: 1,
  queuedAt: T0,
};
const deadlines = { stuckAfterMs: (s: string) => (s === 'accepted' ? 60_000 : undefined) };

function translation(
  state: string,
  status: Translation['status'],
  ack?: Translation['ack'],
  correlationId?: string,
): Translation {
  return {
    kind: 'translated',
    event: {
      eventId: `e-${state}`,
      orderId: 'O-1',
      state,
      occurredAt: '2026-11-25T10:00:05Z',
      ...(correlationId ? { correlationId } : {}),
    },
    ...(status ? { status } : {}),
    ...(ack ? { ack } : {}),
  };
}

t.test("a correlated answer acknowledges the command it names with the state's outcome", async (t) => {
  const d = decideMesEvent(order, [create], translation('REJECTED', 'rejected', 'rejected', 'ob-1'), T0 + 5000, {
    deadlines,
    mesCorrelates: true,
  });
  t.match(d, { eventState: 'applied', acknowledged: { outcome: 'rejected', reason: 'correlation id' } });
  t.same(
    d.changes.map((c) => c.kind),
    ['acknowledged', 'status_changed'],
  );
  t.same(
    d.changes.map((c) => [c.status, c.occurredAt]),
    [
      ['rejected', '2026-11-25T10:00:05Z'],
      ['rejected', '2026-11-25T10:00:05Z'],
    ],
    'each event carries the status after the MES event, at the MES time',
  );
  const other = decideMesEvent(order, [create], translation('ACCEPTED', 'accepted', 'accepted', 'ob-unknown'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.equal(other.acknowledged, undefined, 'a correlation id of no open command acknowledges nothing');
});

t.test('an uncorrelated state is evidence of acceptance, even an error that overtook the acceptance', async (t) => {
  const cutting = decideMesEvent(order, [create], translation('CUTTING', 'in_production'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.match(cutting.acknowledged, { outcome: 'accepted', reason: /evidence/ });
  const error = decideMesEvent(order, [create], translation('ERROR', 'failed', 'failed'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.match(error.acknowledged, { outcome: 'accepted' }, 'the MES that correlates its answers has the order');
  const rejected = decideMesEvent(order, [create], translation('REJECTED', 'rejected', 'rejected'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.equal(rejected.acknowledged, undefined, 'an uncorrelated rejection proves nothing');
});

t.test('an MES that never correlates has its uncorrelated answers taken as the acknowledgement', async (t) => {
  const error = decideMesEvent(order, [create], translation('ERROR', 'failed', 'failed'), T0, {
    deadlines,
    mesCorrelates: false,
  });
  t.match(error.acknowledged, { outcome: 'failed' });
  const rejected = decideMesEvent(order, [create], translation('REJECTED', 'rejected', 'rejected'), T0, {
    deadlines,
    mesCorrelates: false,
  });
  t.match(rejected.acknowledged, { outcome: 'rejected' });
});

t.test('the status deadline restarts on a move; any MES word clears lost', async (t) => {
  const lost: OrderRecord = { ...order, attention: { kind: 'lost', since: T0, reason: 'no answer' } };
  const d = decideMesEvent(lost, [create], translation('ACCEPTED', 'accepted', 'accepted', 'ob-1'), T0 + 9000, {
    deadlines,
    mesCorrelates: true,
  });
  t.same(
    d.changes.map((c) => c.kind),
    ['acknowledged', 'attention_cleared', 'status_changed'],
  );
  t.match(d.order, { attention: null, statusEnteredAt: T0 + 9000, stuckAt: T0 + 9000 + 60_000 });
});

t.test('a refused cancel or update is acknowledged as refused and leaves the order status alone', async (t) => {
  const accepted: OrderRecord = {
    ...order,
    state: {
      status: 'in_production',
      statusSince: '2026-11-25T10:00:01Z',
      lastFactAt: { mes: '2026-11-25T10:00:01Z' },
    },
  };
  const cancel: OpenCommand = {
    ...create,
    rowId: 4,
    sourceRowId: 3,
    crmMessageId: 'crm-2',
    mesMessageId: 'ob-2',
    type: 'order.cancel',
  };
  const refusal = decideMesEvent(accepted, [cancel], translation('REJECTED', 'rejected', 'rejected', 'ob-2'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.match(refusal.acknowledged, { outcome: 'rejected', command: { type: 'order.cancel' } });
  t.equal(refusal.order, undefined, 'no status change');
  t.same(
    refusal.changes.map((c) => [c.kind, c.status]),
    [['acknowledged', 'in_production']],
  );
  const done = decideMesEvent(accepted, [cancel], translation('CANCELLED', 'cancelled', undefined, 'ob-2'), T0, {
    deadlines,
    mesCorrelates: true,
  });
  t.equal(done.order?.state.status, 'cancelled', 'an accepted cancel does move the status');
});
