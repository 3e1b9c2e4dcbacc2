// The move of an order's first status change from the journal to the order row (SQLite migration
// 007, PostgreSQL 008), written once for both drivers: the rows an older ledger held, and what the
// migrated ledger must answer.
import type { Test } from 'tap';
import type { LedgerStore } from '../../src/ledger/index.js';

/**
 * Rows as the migrations before the move left them (plain SQL both databases run): A-1 as the
 * gateway wrote it, its "received" journalled at its creation after an entry of before it existed;
 * A-2 whose "received" entry retention already pruned.
 */
export const olderLedgerRows = `
  INSERT INTO orders (order_id, partner, status, status_since, status_entered_at, last_fact_at, created_at, updated_at) VALUES
    ('A-1', 'shop', 'accepted', '2026-11-25T10:00:03.000Z', 3000, '{}', 1000, 3000),
    ('A-2', 'shop', 'accepted', '2026-11-25T10:00:03.000Z', 3000, '{}', 2000, 3000);
  INSERT INTO journal (at, order_id, message_row, kind, detail) VALUES
    (500, 'A-1', NULL, 'quarantined', '{"mesState":"EARLY"}'),
    (1000, 'A-1', NULL, 'status_changed', '{"to":"received","source":"crm","occurredAt":"2026-11-25T09:59:59.000Z"}'),
    (3000, 'A-1', 1, 'status_changed', '{"from":"received","to":"accepted","source":"mes","occurredAt":"2026-11-25T10:00:03.000Z"}'),
    (3000, 'A-2', 2, 'status_changed', '{"from":"received","to":"accepted","source":"mes","occurredAt":"2026-11-25T10:00:03.000Z"}');`;

const received = { status: 'received', at: '2026-11-25T09:59:59.000Z', source: 'crm' };
const accepted = { status: 'accepted', at: '2026-11-25T10:00:03.000Z', source: 'mes' };

/** What the migrated ledger must hold and answer; `rows` runs a query on its database. */
export async function checkReceivedMoved(
  t: Test,
  ledger: LedgerStore,
  rows: (query: string) => Promise<unknown[]>,
): Promise<void> {
  t.same(
    await rows('SELECT order_id, received_at FROM orders ORDER BY order_id'),
    [
      { order_id: 'A-1', received_at: '2026-11-25T09:59:59.000Z' },
      { order_id: 'A-2', received_at: null },
    ],
    "the order row keeps its creating command's time; none where the entry was pruned",
  );
  t.same(
    await rows('SELECT order_id, kind, detail FROM journal ORDER BY at, order_id'),
    [
      { order_id: 'A-1', kind: 'quarantined', detail: '{"mesState":"EARLY"}' },
      {
        order_id: 'A-1',
        kind: 'status_changed',
        detail: '{"from":"received","to":"accepted","source":"mes","occurredAt":"2026-11-25T10:00:03.000Z"}',
      },
      {
        order_id: 'A-2',
        kind: 'status_changed',
        detail: '{"from":"received","to":"accepted","source":"mes","occurredAt":"2026-11-25T10:00:03.000Z"}',
      },
    ],
    'the journal loses the moved entry and nothing else',
  );
  t.same(await ledger.statusHistory('A-1', 10), [received, accepted], 'the status history reads as before');
  t.same(await ledger.statusHistory('A-1', 1), [received], 'within its limit');
  t.same(await ledger.statusHistory('A-2', 10), [accepted], 'a pruned entry does not come back');
  const timeline = await ledger.timeline('A-1');
  t.same(
    timeline.map(({ at, kind, detail }) => ({ at, kind, to: detail?.to })),
    [
      { at: 500, kind: 'quarantined', to: undefined },
      { at: 1000, kind: 'status_changed', to: 'received' },
      { at: 3000, kind: 'status_changed', to: 'accepted' },
    ],
    'the timeline reads as before',
  );
}
