import type { Translation } from '../mapping/index.js';
import { decideStatusFact, type Deadlines } from './decide-status.js';
import type {
  Acknowledgement,
  Attention,
  EventState,
  JournalEntry,
  OpenCommand,
  OrderRecord,
  OrderUpdate,
  StatusChange,
} from './model.js';

export interface MesEventDecision {
  eventState: EventState;
  reason?: string;
  order?: OrderUpdate;
  acknowledged?: { command: OpenCommand; outcome: Acknowledgement; reason: string };
  changes: StatusChange[];
  journal: JournalEntry[];
}

/**
 * What one translated MES event does to an order: which open command it acknowledges (by
 * correlation id, or by evidence when the MES sends none), which status it moves to, and which
 * attention flags it clears. Pure: the store loads the inputs and writes the result.
 */
export function decideMesEvent(
  order: OrderRecord,
  open: OpenCommand[],
  translation: Translation,
  now: number,
  policy: { deadlines: Deadlines; mesCorrelates: boolean },
): MesEventDecision {
  const { event } = translation;
  const journal: JournalEntry[] = [];
  const acknowledged = matchAcknowledgement(open, translation, policy.mesCorrelates);
  // Any word from the MES about the order proves it is not lost.
  const clearsLost = order.attention?.kind === 'lost';
  const attention: Attention | null = clearsLost ? null : order.attention;
  // A refused cancel or update says nothing about the order's own state: only the answer is a refusal.
  const refusesFollowUp =
    acknowledged !== undefined && acknowledged.command.type !== 'order.create' && acknowledged.outcome !== 'accepted';
  const status =
    translation.status === undefined || refusesFollowUp
      ? undefined
      : decideStatusFact(
          order,
          attention,
          { status: translation.status, source: 'mes', occurredAt: event.occurredAt, mesState: event.state },
          now,
          policy.deadlines,
        );

  // Every event carries the status the order has after this MES event, and the MES's time.
  const after = status?.order.state.status ?? order.state.status;
  const changes: StatusChange[] = [];
  if (acknowledged) {
    const { command, outcome } = acknowledged;
    changes.push({
      orderId: order.orderId,
      kind: 'acknowledged',
      status: after,
      acknowledgement: outcome,
      commandId: command.crmMessageId,
      mesState: event.state,
      occurredAt: event.occurredAt,
      ...(event.reason ? { reason: event.reason } : {}),
    });
    // The MES state that answered: the report tells an acknowledgement overtaken by a later state from a lost one.
    journal.push({
      kind: `command_${outcome}`,
      detail: { commandId: command.crmMessageId, type: command.type, by: acknowledged.reason, mesState: event.state },
    });
  }
  if (clearsLost) {
    changes.push({
      orderId: order.orderId,
      kind: 'attention_cleared',
      attention: 'lost',
      status: after,
      occurredAt: event.occurredAt,
      reason: `MES reported state ${event.state}`,
    });
    journal.push({ kind: 'attention_cleared', detail: { attention: 'lost' } });
  }
  const common = { ...(acknowledged ? { acknowledged } : {}) };
  if (!status) {
    const update = clearsLost
      ? { order: { state: order.state, statusEnteredAt: order.statusEnteredAt, stuckAt: order.stuckAt, attention } }
      : {};
    return { eventState: 'acknowledged', ...update, ...common, changes, journal };
  }
  return {
    eventState: acknowledged && status.eventState === 'duplicate' ? 'acknowledged' : status.eventState,
    ...(status.reason === undefined ? {} : { reason: status.reason }),
    order: status.order,
    ...common,
    changes: [...changes, ...status.changes],
    journal: [...journal, ...status.journal],
  };
}

/**
 * The command an MES event answers: the one its correlation id names. An event without one still
 * proves the MES has the order, so it acknowledges the open create as accepted (the answer was
 * lost or overtaken); only an MES that never correlates its answers (no correlationId path in the
 * mapping) has its uncorrelated rejections and errors taken as the answer.
 */
function matchAcknowledgement(
  open: OpenCommand[],
  { event, ack, status }: Translation,
  mesCorrelates: boolean,
): MesEventDecision['acknowledged'] {
  if (event.correlationId !== undefined) {
    const correlated = open.find((c) => c.mesMessageId === event.correlationId);
    return correlated && { command: correlated, outcome: ack ?? 'accepted', reason: 'correlation id' };
  }
  const create = open.find((c) => c.type === 'order.create');
  if (!create) return mesCorrelates ? undefined : answeredFollowUp(open, { event, ack, status } as Translation);
  if (!mesCorrelates && ack !== undefined) return { command: create, outcome: ack, reason: `MES state ${event.state}` };
  if (status === undefined || status === 'rejected') return undefined;
  return { command: create, outcome: 'accepted', reason: `evidence: MES reported state ${event.state}` };
}

/**
 * An MES that never correlates answers a cancel by cancelling (or by a state that refuses it) and
 * an update by reporting the order again: its next state after the update is the answer.
 */
function answeredFollowUp(open: OpenCommand[], { event, ack, status }: Translation): MesEventDecision['acknowledged'] {
  const cancel = open.find((c) => c.type === 'order.cancel');
  if (cancel && status === 'cancelled')
    return { command: cancel, outcome: 'accepted', reason: `MES state ${event.state}` };
  if (cancel && ack !== undefined && ack !== 'accepted')
    return { command: cancel, outcome: ack, reason: `MES state ${event.state}` };
  const update = open.find((c) => c.type === 'order.update');
  return update && { command: update, outcome: ack ?? 'accepted', reason: `MES state ${event.state} after the update` };
}
