import t from 'tap';
import {
  applyStatus,
  canMove,
  initialOrderState,
  isTerminal,
  movesFrom,
  orderStatuses,
  rankOf,
  type OrderStatus,
} from '../../src/mapping/index.js';
import { schemas } from '../../src/contracts/schemas.js';

// The specification, written out independently of contracts/external/status-model.json.
const allowed: Record<OrderStatus, OrderStatus[]> = {
  received: [
    'accepted',
    'in_production',
    'on_hold',
    'failed',
    'ready',
    'shipped',
    'delivered',
    'rejected',
    'cancelled',
  ],
  accepted: ['in_production', 'on_hold', 'failed', 'ready', 'shipped', 'delivered', 'cancelled'],
  in_production: ['on_hold', 'failed', 'ready', 'shipped', 'delivered', 'cancelled'],
  on_hold: ['in_production', 'failed', 'ready', 'shipped', 'delivered', 'cancelled'],
  failed: ['in_production', 'on_hold', 'ready', 'shipped', 'delivered', 'cancelled'],
  ready: ['shipped', 'delivered', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  rejected: [],
  cancelled: [],
};

t.test('the model has exactly the statuses of the OrderStatus schema', async (t) => {
  t.same([...orderStatuses].sort(), [...schemas.orderStatus.enum].sort());
  t.same(Object.keys(allowed).sort(), [...orderStatuses].sort());
});

for (const from of Object.keys(allowed) as OrderStatus[]) {
  t.test(`moves from ${from}`, async (t) => {
    const state = initialOrderState({ status: from, source: 'mes', occurredAt: '2026-01-01T00:00:00Z' });
    for (const to of orderStatuses) {
      const outcome = applyStatus(state, { status: to, source: 'mes', occurredAt: '2026-01-01T00:01:00Z' });
      if (to === from) {
        t.equal(outcome.kind, 'duplicate', `${from} → ${to} is a duplicate`);
      } else if (allowed[from].includes(to)) {
        t.ok(canMove(from, to), `${from} → ${to} allowed`);
        t.equal(outcome.kind, 'applied', `${from} → ${to} applied`);
        t.equal(outcome.state.status, to);
        t.equal(outcome.state.statusSince, '2026-01-01T00:01:00Z');
      } else {
        t.notOk(canMove(from, to), `${from} → ${to} forbidden`);
        t.equal(outcome.kind, rankOf(to) <= rankOf(from) ? 'out_of_order' : 'forbidden', `${from} → ${to} refused`);
        t.equal(outcome.state.status, from, `${from} → ${to} leaves the status alone`);
      }
    }
  });
}

t.test('terminal statuses have no way out; the others have', async (t) => {
  for (const status of orderStatuses) t.equal(movesFrom(status).length === 0, isTerminal(status), status);
  t.same(orderStatuses.filter(isTerminal).sort(), ['cancelled', 'delivered', 'rejected']);
});

t.test('no allowed move lowers the progress rank', async (t) => {
  for (const from of orderStatuses)
    for (const to of movesFrom(from)) t.ok(rankOf(to) >= rankOf(from), `${from} → ${to}`);
});

t.test('the move list is transitively closed: a missed event never makes a later one forbidden', async (t) => {
  for (const a of orderStatuses)
    for (const b of movesFrom(a))
      for (const c of movesFrom(b)) if (c !== a) t.ok(canMove(a, c), `${a} → ${b} → ${c} implies ${a} → ${c}`);
});

t.test('on_hold ↔ in_production and failed → in_production are allowed back-and-forth moves', async (t) => {
  t.ok(canMove('on_hold', 'in_production'));
  t.ok(canMove('in_production', 'on_hold'));
  t.ok(canMove('failed', 'in_production'));
  t.notOk(canMove('in_production', 'accepted'));
  t.notOk(canMove('shipped', 'ready'));
});

t.test('a fact older than the newest from its source is out of order, even along an allowed edge', async (t) => {
  const onHold = initialOrderState({ status: 'on_hold', source: 'mes', occurredAt: '2026-01-01T10:00:00Z' });
  const late = applyStatus(onHold, { status: 'in_production', source: 'mes', occurredAt: '2026-01-01T09:00:00Z' });
  t.equal(late.kind, 'out_of_order');
  t.equal(late.state.status, 'on_hold');
  const resumed = applyStatus(onHold, { status: 'in_production', source: 'mes', occurredAt: '2026-01-01T11:00:00Z' });
  t.equal(resumed.kind, 'applied');
});

t.test('clocks of different sources are not compared', async (t) => {
  const received = initialOrderState({ status: 'received', source: 'crm', occurredAt: '2026-01-01T10:00:00Z' });
  const accepted = applyStatus(received, { status: 'accepted', source: 'mes', occurredAt: '2026-01-01T09:59:58Z' });
  t.equal(accepted.kind, 'applied', 'an MES clock 2 s behind the CRM does not make acceptance late');
});

t.test('a repeat of the current status advances the source clock', async (t) => {
  const p1 = initialOrderState({ status: 'in_production', source: 'mes', occurredAt: '2026-01-01T10:00:00Z' });
  const repeat = applyStatus(p1, { status: 'in_production', source: 'mes', occurredAt: '2026-01-01T12:00:00Z' });
  t.equal(repeat.kind, 'duplicate');
  const lateHold = applyStatus(repeat.state, { status: 'on_hold', source: 'mes', occurredAt: '2026-01-01T11:00:00Z' });
  t.equal(lateHold.kind, 'out_of_order', 'an on_hold older than the repeated in_production stays behind');
});
