import t from 'tap';
import type { OrderEvent } from '../../src/contracts/generated/external/order-event.js';
import { CrmOrders } from '../../sim/crm/order-records.js';

let ids = 0;
const event = (data: Omit<OrderEvent['data'], 'orderId'>): OrderEvent => ({
  specversion: '1.0',
  id: `e-${++ids}`,
  source: '/orderbridge',
  type: `dev.orderbridge.order.${data.kind}`,
  time: data.occurredAt,
  subject: 'O-1',
  datacontenttype: 'application/json',
  data: { orderId: 'O-1', ...data },
});

t.test('an acknowledgement stamped after MES changes it preceded does not hide them', async (t) => {
  const orders = new CrmOrders();
  orders.noteCreate('O-1', 'crm-O-1');
  // Found by asking the MES at 10:00:05, while the MES's own changes from 10:00:01 were still queued.
  orders.hear(
    event({
      kind: 'acknowledged',
      acknowledgement: 'accepted',
      status: 'received',
      occurredAt: '2026-12-06T10:00:05Z',
    }),
  );
  const heard = orders.hear(
    event({ kind: 'status_changed', status: 'shipped', previousStatus: 'ready', occurredAt: '2026-12-06T10:00:02Z' }),
  );
  t.equal(heard.kind === 'recorded' && heard.becameShipped, true, 'shipped, so the CRM will deliver it');
  orders.hear(
    event({
      kind: 'status_changed',
      status: 'accepted',
      previousStatus: 'received',
      occurredAt: '2026-12-06T10:00:01Z',
    }),
  );
  orders.hear(
    event({ kind: 'attention_raised', attention: 'stuck', status: 'ready', occurredAt: '2026-12-06T10:00:09Z' }),
  );
  t.equal(
    [...orders.all()][0]?.status,
    'shipped',
    'the newest change stands; neither a late change nor a snapshot moves it',
  );
});

t.test('without any status change heard, the newest snapshot says the status', async (t) => {
  const orders = new CrmOrders();
  orders.noteCreate('O-1', 'crm-O-1');
  orders.hear(
    event({ kind: 'acknowledged', acknowledgement: 'failed', status: 'failed', occurredAt: '2026-12-06T10:00:05Z' }),
  );
  orders.hear(
    event({ kind: 'attention_raised', attention: 'lost', status: 'received', occurredAt: '2026-12-06T10:00:01Z' }),
  );
  t.equal([...orders.all()][0]?.status, 'failed');
});

t.test('a flag cleared, then its raise heard late: cleared', async (t) => {
  const orders = new CrmOrders();
  orders.noteCreate('O-1', 'crm-O-1');
  orders.hear(
    event({
      kind: 'attention_cleared',
      attention: 'stuck',
      status: 'in_production',
      occurredAt: '2026-12-06T10:00:04Z',
    }),
  );
  // Its gateway died before the broker had it; the outbox sweep of another sent it 5 s later.
  orders.hear(
    event({ kind: 'attention_raised', attention: 'stuck', status: 'accepted', occurredAt: '2026-12-06T10:00:03Z' }),
  );
  t.same([...([...orders.all()][0]?.attention ?? [])], [], 'not stuck');
});
