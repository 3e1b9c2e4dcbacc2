import t from 'tap';
import { byUrgency, ordersNeedingAction, type NeedsActionRows } from '../../src/ledger/index.js';
import { buildActionList } from '../../src/app/report/needs-action.js';

const none: NeedsActionRows = { flagged: [], quarantined: [], deadLettered: [], unanswered: [], orders: [] };

t.test('an order with several reasons is listed once, with every reason, the most urgent first', async (t) => {
  const orders = ordersNeedingAction({
    ...none,
    flagged: [{ orderId: 'A', attention: 'stuck', since: 500 }],
    quarantined: [
      { orderId: 'A', at: 200, mesState: 'X', reason: 'unknown MES state "X"' },
      { orderId: 'A', at: 300, mesState: 'Y', reason: 'unknown MES state "Y"' },
    ],
    deadLettered: [{ orderId: 'A', at: 400, reason: 'invalid' }],
    orders: [{ orderId: 'A', status: 'accepted', mesState: 'ACCEPTED' }],
  });
  t.same(orders, [
    {
      orderId: 'A',
      reasons: ['stuck', 'quarantined', 'dead_lettered'],
      since: 200,
      mesState: 'ACCEPTED',
      status: 'accepted',
      quarantined: { mesState: 'X', reason: 'unknown MES state "X"' },
      deadLetterReason: 'invalid',
    },
  ]);
});

t.test('an order the ledger does not hold keeps the state its quarantined event named', async (t) => {
  const [order] = ordersNeedingAction({
    ...none,
    quarantined: [{ orderId: 'Z', at: 1, mesState: 'CUTTING', reason: 'unknown order Z' }],
  });
  t.match(order, { orderId: 'Z', mesState: 'CUTTING' });
  t.notOk(order && 'status' in order, 'no status: the ledger has no such order');
});

t.test('urgency: the MES does not know the order, then lost, then stuck by age, then the rest', async (t) => {
  const orders = ordersNeedingAction({
    ...none,
    flagged: [
      { orderId: 'stuck-new', attention: 'stuck', since: 300 },
      { orderId: 'stuck-gone', attention: 'stuck', since: 400 },
      { orderId: 'lost', attention: 'lost', since: 900 },
      { orderId: 'stuck-old', attention: 'stuck', since: 100 },
    ],
    deadLettered: [{ orderId: 'dead', at: 50, reason: 'r' }],
    unanswered: [{ orderId: 'rejected', at: 10, outcome: 'rejected', reason: null, command: 'order.create' }],
  });
  const mesKnows: Record<string, boolean> = { 'stuck-gone': false, lost: true, 'stuck-old': true };
  const ranked = orders
    .map((order) => ({ order, mesKnows: mesKnows[order.orderId] }))
    .sort(byUrgency)
    .map(({ order }) => order.orderId);
  t.same(ranked, ['stuck-gone', 'lost', 'stuck-old', 'stuck-new', 'dead', 'rejected']);
});

t.test(
  'a rejected create is answered to the customer; a refused cancel or update leaves the order as it was',
  async (t) => {
    const list = buildActionList({
      rows: {
        ...none,
        unanswered: [
          { orderId: 'create', at: 10, outcome: 'rejected', reason: 'unknown material', command: 'order.create' },
          { orderId: 'cancel', at: 20, outcome: 'rejected', reason: 'already shipped', command: 'order.cancel' },
        ],
        orders: [
          { orderId: 'create', status: 'rejected', mesState: 'REJECTED' },
          { orderId: 'cancel', status: 'shipped', mesState: 'DISPATCHED' },
        ],
      },
      now: 100,
      lang: 'en',
      answers: new Map(),
      notAskedBecause: () => 'reconciliation_off',
      statusOfMesState: () => undefined,
    });
    t.match(list.items, [
      { orderId: 'create', suggestion: 'answer_rejection', action: /The MES rejected the order/ },
      { orderId: 'cancel', status: 'shipped', suggestion: 'answer_refused_change', action: /refused the change/ },
    ]);
  },
);
