import type Database from 'better-sqlite3';
import type { DialectConfig } from '../../src/contracts/generated/config/dialect.js';
import type { CrmReport } from '../../sim/crm/report.js';
import type { MesStats } from '../../sim/mes/stats.js';
import { type OrderCreation, withReceived } from '../../src/ledger/rows.js';

export interface CheckResult {
  sent: number;
  /**
   * Sent by the CRM but missing from the ledger, with a command the ledger never resolved, or with
   * one forwarded without an acknowledgement deadline (the watchdog would never act on it).
   */
  lost: string[];
  /** Orders with an open command whose MES command has no acknowledgement deadline. */
  forwardedWithoutDeadline: string[];
  /** Orders the MES created more than once (a command forwarded under two ids). */
  duplicated: number;
  /** Orders in the ledger or the MES that the CRM never sent. */
  unexpected: string[];
  /** Orders whose external status differs from what the MES holds (mapped) or the CRM heard last. */
  mismatched: { orderId: string; ledger: string; mes?: string; crm?: string | null }[];
  flaggedLost: string[];
  flaggedStuck: string[];
  finalStatuses: Record<string, string>;
}

/**
 * Compares what the CRM simulator sent and heard with what the ledger and the MES simulator hold,
 * independently of the gateway's own counters.
 */
export function checkRun(
  report: CrmReport,
  mes: MesStats,
  ledger: Database.Database,
  dialect: DialectConfig,
): CheckResult {
  const sent = new Set(Object.keys(report.orders));
  const orders = ledger.prepare('SELECT order_id, status, attention FROM orders').all() as {
    order_id: string;
    status: string;
    attention: string | null;
  }[];
  const inLedger = new Map(orders.map((o) => [o.order_id, o]));
  const unresolved = new Set(
    ledger
      .prepare(
        `SELECT order_id FROM messages WHERE channel = 'crm.command' AND state IN ('received', 'forwarded', 'redelivered')`,
      )
      .pluck()
      .all() as string[],
  );
  const forwardedWithoutDeadline = ledger
    .prepare(
      `SELECT DISTINCT command.order_id FROM messages command
       JOIN messages forwarded ON forwarded.cause_id = command.id AND forwarded.channel = 'mes.command'
       WHERE command.channel = 'crm.command' AND command.state IN ('received', 'forwarded')
         AND forwarded.due_at IS NULL ORDER BY command.order_id`,
    )
    .pluck()
    .all() as string[];
  const lost = [...sent].filter(
    (id) => !inLedger.has(id) || unresolved.has(id) || forwardedWithoutDeadline.includes(id),
  );
  const unexpected = [...new Set([...inLedger.keys(), ...Object.keys(mes.orders)])].filter((id) => !sent.has(id));
  const mismatched: CheckResult['mismatched'] = [];
  for (const order of orders) {
    const mesState = mes.orders[order.order_id];
    const mesStatus = mesState === undefined ? undefined : dialect.states[mesState]?.status;
    const crmStatus = report.orders[order.order_id]?.status;
    // The CRM owns delivered: the MES last saw the order dispatched.
    const expected = mesStatus === 'shipped' && order.status === 'delivered' ? 'delivered' : mesStatus;
    if (
      (expected !== undefined && expected !== order.status) ||
      (crmStatus !== undefined && crmStatus !== null && crmStatus !== order.status)
    ) {
      mismatched.push({
        orderId: order.order_id,
        ledger: order.status,
        ...(mesState ? { mes: mesState } : {}),
        crm: crmStatus,
      });
    }
  }
  return {
    sent: sent.size,
    lost,
    forwardedWithoutDeadline,
    duplicated: mes.duplicateOrders,
    unexpected,
    mismatched,
    flaggedLost: orders
      .filter((o) => o.attention === 'lost')
      .map((o) => o.order_id)
      .sort(),
    flaggedStuck: orders
      .filter((o) => o.attention === 'stuck')
      .map((o) => o.order_id)
      .sort(),
    finalStatuses: Object.fromEntries(orders.map((o) => [o.order_id, o.status])),
  };
}

/**
 * Orders whose history does not hold together, each with what is wrong: every status change (the
 * order row's first, then the journal's) starts where the one before it ended (none lost, none
 * applied on a stale status), the last one ends at the order's status, and each change after the
 * first went out as exactly one order event (`order.status.<to>`), in the same order.
 */
export function statusChainBreaks(ledger: Database.Database): string[] {
  const changes = ledger
    .prepare(`SELECT order_id, detail FROM journal WHERE kind = 'status_changed' ORDER BY id`)
    .all() as { order_id: string; detail: string }[];
  const published = ledger
    .prepare(
      `SELECT order_id, routing_key FROM messages WHERE channel = 'order.event' AND type = 'status_changed' ORDER BY id`,
    )
    .all() as { order_id: string; routing_key: string }[];
  const journalled = groupBy(changes, (row) => row);
  const events = groupBy(published, (row) => row.routing_key);
  const orders = ledger
    .prepare('SELECT order_id, status, created_at, received_at FROM orders')
    .all() as (OrderCreation & {
    order_id: string;
    status: string;
  })[];
  const breaks: string[] = [];
  for (const { order_id: orderId, status, ...creation } of orders) {
    // The first change, to "received", is the order row's own (receivedJournalRow).
    const chain = withReceived(creation, journalled.get(orderId) ?? []).map(
      (row) => JSON.parse(row.detail) as { from?: string; to: string },
    );
    chain.forEach((change, i) => {
      if (i > 0 && change.from !== chain[i - 1]!.to)
        breaks.push(`${orderId}: change ${i} from ${change.from}, but the one before ended at ${chain[i - 1]!.to}`);
    });
    if (chain.at(-1)?.to !== status)
      breaks.push(`${orderId}: the journal ends at ${chain.at(-1)?.to}, the order is ${status}`);
    const expected = chain.slice(1).map((change) => `order.status.${change.to}`);
    const sent = events.get(orderId) ?? [];
    if (expected.join() !== sent.join())
      breaks.push(`${orderId}: journal ${expected.join(' ')}, order events ${sent.join(' ')}`);
  }
  return breaks;
}

function groupBy<R extends { order_id: string }, V>(rows: R[], value: (row: R) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const row of rows) {
    const group = groups.get(row.order_id) ?? [];
    group.push(value(row));
    groups.set(row.order_id, group);
  }
  return groups;
}
