import type { Database } from 'better-sqlite3';
import type { NeedsActionRows } from '../decide-needs-action.js';
import { needsActionState } from './report.js';

/**
 * What may make an order need a person, for the window [from, to) (epoch ms): attention flags are
 * read as they are now; quarantines, dead letters and unanswered rejections by when they happened,
 * each on an indexed time column.
 */
export function readNeedsActionRows(db: Database, from: number, to: number): NeedsActionRows {
  const window = { from, to };
  const all = <T>(sql: string, params: object = window) => db.prepare(sql).all(params) as T[];
  const flagged = all<NeedsActionRows['flagged'][number]>(
    'SELECT order_id AS orderId, attention, attention_since AS since FROM orders WHERE attention IS NOT NULL ORDER BY attention_since',
    {},
  );
  const quarantined = all<{ orderId: string; at: number; detail: string }>(`
    SELECT order_id AS orderId, at, detail FROM journal
    WHERE at >= @from AND at < @to AND kind = 'quarantined' AND order_id IS NOT NULL ORDER BY id`).map((row) => {
    const detail = JSON.parse(row.detail) as { mesState?: string; reason?: string };
    return { orderId: row.orderId, at: row.at, mesState: detail.mesState ?? '', reason: detail.reason ?? '' };
  });
  // A replayed letter gave up its message id (#refused-<row>): it is the replay's business now.
  const deadLettered = all<NeedsActionRows['deadLettered'][number]>(`
    SELECT order_id AS orderId, updated_at AS at, COALESCE(reason, '') AS reason FROM messages INDEXED BY messages_needs_action
    WHERE created_at >= @from AND created_at < @to AND direction = 'in' AND state IN ('invalid', 'dead_lettered') AND ${needsActionState()}
      AND order_id IS NOT NULL AND message_id NOT LIKE '%#refused-%' ORDER BY id`);
  // A failure the MES recovered from (the order left failed) needs nobody; a rejection is final.
  const unanswered = all<NeedsActionRows['unanswered'][number]>(`
    SELECT m.order_id AS orderId, m.updated_at AS at, m.state AS outcome, m.reason AS reason, m.type AS command
    FROM messages m INDEXED BY messages_needs_action
    WHERE m.created_at >= @from AND m.created_at < @to AND m.channel = 'crm.command' AND m.state IN ('rejected', 'failed') AND ${needsActionState('m')}
      AND (m.state = 'rejected' OR EXISTS (SELECT 1 FROM orders o WHERE o.order_id = m.order_id AND o.status = 'failed'))
      AND NOT EXISTS (SELECT 1 FROM messages a WHERE a.order_id = m.order_id AND a.id > m.id
        AND a.channel IN ('crm.command', 'crm.fact') AND a.state NOT IN ('invalid', 'dead_lettered'))
    ORDER BY m.id`);
  const ids = [...new Set([...flagged, ...quarantined, ...deadLettered, ...unanswered].map((row) => row.orderId))];
  // The last MES state each order reached: its newest journal entry naming one (journal_order index).
  const orders = all<NeedsActionRows['orders'][number]>(
    `
    SELECT o.order_id AS orderId, o.status AS status,
      (SELECT json_extract(j.detail, '$.mesState') FROM journal j
        WHERE j.order_id = o.order_id AND j.kind <> 'out_of_order' AND json_extract(j.detail, '$.mesState') IS NOT NULL
        ORDER BY j.id DESC LIMIT 1) AS mesState
    FROM orders o WHERE o.order_id IN (SELECT value FROM json_each(@ids))`,
    { ids: JSON.stringify(ids) },
  );
  return { flagged, quarantined, deadLettered, unanswered, orders };
}
