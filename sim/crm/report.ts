import type { OrderStatus } from '../../src/contracts/generated/external/order-event.js';
import { hasFinalAnswer, type Acknowledgement, type AttentionKind, type CrmOrders } from './order-records.js';

export type FinishedBy = 'settled' | 'published' | 'timeout' | 'stopped';

export interface CrmReport {
  runId: string;
  /** order.create commands the broker confirmed. */
  sent: number;
  /** Every message the broker confirmed: commands and order.delivered facts. */
  published: number;
  acknowledged: Record<Acknowledgement, number>;
  /** Latest status of each order; `unheard` for orders the CRM heard nothing about. */
  byStatus: Record<string, number>;
  lost: string[];
  stuck: string[];
  /** Orders without a final answer (terminal status, lost/stuck, refused or failed creation). */
  unanswered: string[];
  duplicateEventsHeard: number;
  invalidEventsHeard: number;
  foreignEventsHeard: number;
  timedOut: boolean;
  /** Why the run ended; absent while it runs. */
  finishedBy?: FinishedBy;
  orders: Record<
    string,
    { status: OrderStatus | null; ack: Acknowledgement | null; attention: AttentionKind[]; events: number }
  >;
}

export interface ReportInputs {
  runId: string;
  sent: number;
  published: number;
  invalidEventsHeard: number;
  finishedBy?: FinishedBy;
}

export function buildReport(orders: CrmOrders, inputs: ReportInputs): CrmReport {
  const report: CrmReport = {
    runId: inputs.runId,
    sent: inputs.sent,
    published: inputs.published,
    acknowledged: { accepted: 0, rejected: 0, failed: 0 },
    byStatus: {},
    lost: [],
    stuck: [],
    unanswered: [],
    duplicateEventsHeard: orders.duplicateEventsHeard,
    invalidEventsHeard: inputs.invalidEventsHeard,
    foreignEventsHeard: orders.foreignEventsHeard,
    timedOut: inputs.finishedBy === 'timeout',
    ...(inputs.finishedBy ? { finishedBy: inputs.finishedBy } : {}),
    orders: {},
  };
  for (const record of orders.all()) {
    if (record.ack) report.acknowledged[record.ack] += 1;
    const status = record.status ?? 'unheard';
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (record.attention.has('lost')) report.lost.push(record.orderId);
    if (record.attention.has('stuck')) report.stuck.push(record.orderId);
    if (!hasFinalAnswer(record)) report.unanswered.push(record.orderId);
    report.orders[record.orderId] = {
      status: record.status ?? null,
      ack: record.ack ?? null,
      attention: [...record.attention],
      events: record.eventIds.size,
    };
  }
  return report;
}

// Acknowledgement names come first; the statuses that share them (accepted, rejected) would only repeat them.
const statusesShown: readonly string[] = [
  'unheard',
  'received',
  'in_production',
  'on_hold',
  'failed',
  'ready',
  'shipped',
  'delivered',
  'cancelled',
];

/** `sent 340/2000 · accepted 310 · rejected 3 · in_production 120 · … · lost 0 · stuck 0` */
export function progressLine(report: CrmReport, total: number): string {
  const parts = [
    `sent ${report.sent}/${total}`,
    `accepted ${report.acknowledged.accepted}`,
    `rejected ${report.acknowledged.rejected}`,
  ];
  if (report.acknowledged.failed) parts.push(`failed acks ${report.acknowledged.failed}`);
  for (const status of statusesShown) if (report.byStatus[status]) parts.push(`${status} ${report.byStatus[status]}`);
  parts.push(`lost ${report.lost.length}`, `stuck ${report.stuck.length}`);
  return parts.join(' · ');
}
