import { decideOverdueCommand, decideStuck } from './decide-watchdog.js';
import type { OpenCommand, OrderRecord } from './model.js';
import { answer, type Answer, type Plan } from './plan.js';
import { queueOrderEvents } from './queue-order-events.js';
import type { IntakeRows } from './record-intake.js';
import type { LedgerPolicy, OutMessage } from './store.js';

export type OverdueCommand = OpenCommand & {
  dueAt: number | null;
  orderId: string;
  routingKey: string;
  payload: string;
};

/** The rows the watchdog writes with, beside the pipeline's. */
export interface WatchdogRows extends IntakeRows {
  /** An MES command still waiting for the MES's answer, by its row. */
  overdueCommandByRow(rowId: number): Answer<OverdueCommand | undefined>;
  /** The MES command is sent once more; its acknowledgement is now due at dueAt. */
  reforward(rowId: number, dueAt: number, now: number): void;
}

/**
 * An MES command past its acknowledgement deadline: accepted after all (the MES knows the order),
 * forwarded once more, or lost and its order flagged. Returns what to publish.
 */
export function* resolveOverdueCommand(
  rows: WatchdogRows,
  rowId: number,
  now: number,
  knownToMes: boolean | undefined,
  policy: LedgerPolicy,
): Plan<OutMessage[]> {
  const command = yield* answer(rows.overdueCommandByRow(rowId));
  // Answered (or resolved by another replica) since it was listed: nothing to do.
  if (!command || command.dueAt === null || command.dueAt > now) return [];
  const order = (yield* answer(rows.loadOrder(command.orderId)))!;
  const decision = decideOverdueCommand(command, order, now, policy.ack, knownToMes);
  if (decision.kind === 'accepted_by_evidence') {
    rows.closeCommand(command.sourceRowId, 'acknowledged', decision.reason, now);
    rows.clearDue(command.rowId, now);
    for (const entry of decision.journal) rows.journal(now, order.orderId, command.rowId, entry);
    return yield* queueOrderEvents(
      rows,
      order,
      decision.changes,
      command.rowId,
      `evidence:${command.mesMessageId}`,
      now,
    );
  }
  if (decision.kind === 'reforward') {
    rows.reforward(command.rowId, decision.dueAt, now);
    rows.closeCommand(command.sourceRowId, 'redelivered', undefined, now);
    rows.journal(now, order.orderId, command.rowId, decision.journal);
    const { rowId: commandRow, mesMessageId: messageId, routingKey, payload } = command;
    return [{ rowId: commandRow, channel: 'mes.command', messageId, routingKey, payload }];
  }
  rows.closeCommand(command.sourceRowId, 'lost', decision.attention.reason, now);
  rows.clearDue(command.rowId, now);
  yield* answer(rows.updateOrder(order, { ...unchangedStatus(order), attention: decision.attention }, now));
  for (const entry of decision.journal) rows.journal(now, order.orderId, command.rowId, entry);
  return yield* queueOrderEvents(rows, order, decision.changes, command.rowId, `lost:${command.mesMessageId}`, now);
}

/** An order past its status deadline: flagged stuck, once. Returns the order event to publish. */
export function* flagStuck(rows: WatchdogRows, order: OrderRecord, now: number): Plan<OutMessage[]> {
  const decision = decideStuck(order, now);
  yield* answer(rows.updateOrder(order, { ...unchangedStatus(order), attention: decision.attention }, now));
  rows.journal(now, order.orderId, null, decision.journal);
  return yield* queueOrderEvents(
    rows,
    order,
    [decision.change],
    null,
    `stuck:${order.orderId}:${order.statusEnteredAt}`,
    now,
  );
}

function unchangedStatus(order: OrderRecord) {
  return { state: order.state, statusEnteredAt: order.statusEnteredAt, stuckAt: order.stuckAt };
}
