import type { Attention, JournalEntry, OpenCommand, OrderRecord, StatusChange } from './model.js';

export interface AckPolicy {
  deadlineMs: number;
  maxAttempts: number;
  backoff: number;
}

export type OverdueCommandDecision =
  | { kind: 'reforward'; dueAt: number; journal: JournalEntry }
  | { kind: 'accepted_by_evidence'; reason: string; changes: StatusChange[]; journal: JournalEntry[] }
  | { kind: 'lost'; attention: Attention; changes: StatusChange[]; journal: JournalEntry[] };

/** When the n-th forward (1-based) must have been acknowledged: deadline × backoff^(n-1) after it. */
export function ackDueAt(now: number, attempt: number, policy: AckPolicy): number {
  return now + Math.round(policy.deadlineMs * policy.backoff ** (attempt - 1));
}

/**
 * A forwarded command passed its acknowledgement deadline: forward it again (same message id, so
 * the MES can de-duplicate) until the attempts are used up; then, if the MES API says it knows the
 * order (`knownToMes`), its acknowledgement was lost and the command is accepted; otherwise the
 * order is flagged lost.
 */
export function decideOverdueCommand(
  command: OpenCommand,
  order: OrderRecord,
  now: number,
  policy: AckPolicy,
  knownToMes?: boolean,
): OverdueCommandDecision {
  if (command.attempts >= policy.maxAttempts && knownToMes) {
    const reason = 'the MES API knows the order; its acknowledgement was lost';
    return {
      kind: 'accepted_by_evidence',
      reason: 'evidence: the MES API knows the order',
      changes: [
        {
          orderId: order.orderId,
          kind: 'acknowledged',
          acknowledgement: 'accepted',
          commandId: command.crmMessageId,
          status: order.state.status,
          reason,
          occurredAt: new Date(now).toISOString(),
        },
      ],
      journal: [
        { kind: 'command_accepted', detail: { commandId: command.crmMessageId, by: 'evidence: MES API lookup' } },
      ],
    };
  }
  if (command.attempts < policy.maxAttempts) {
    return {
      kind: 'reforward',
      dueAt: ackDueAt(now, command.attempts + 1, policy),
      journal: {
        kind: 'command_reforwarded',
        detail: { commandId: command.crmMessageId, attempt: command.attempts + 1 },
      },
    };
  }
  const reason = `no acknowledgement of ${command.type} ${command.crmMessageId} after ${command.attempts} forward(s)`;
  const attention: Attention = { kind: 'lost', since: now, reason };
  return {
    kind: 'lost',
    attention,
    changes: [
      {
        orderId: order.orderId,
        kind: 'attention_raised',
        attention: 'lost',
        status: order.state.status,
        commandId: command.crmMessageId,
        reason,
        occurredAt: new Date(now).toISOString(),
      },
    ],
    journal: [
      { kind: 'command_lost', detail: { commandId: command.crmMessageId, attempts: command.attempts } },
      { kind: 'attention_raised', detail: { attention: 'lost', reason } },
    ],
  };
}

/** An order past its status deadline is flagged stuck, once; progress clears the flag. */
export function decideStuck(
  order: OrderRecord,
  now: number,
): { attention: Attention; change: StatusChange; journal: JournalEntry } {
  const minutes = Math.round((now - order.statusEnteredAt) / 60_000);
  const reason = `in ${order.state.status} for ${minutes >= 1 ? `${minutes} min` : `${Math.round((now - order.statusEnteredAt) / 1000)} s`}, past its deadline`;
  return {
    attention: { kind: 'stuck', since: now, reason },
    change: {
      orderId: order.orderId,
      kind: 'attention_raised',
      attention: 'stuck',
      status: order.state.status,
      reason,
      occurredAt: new Date(now).toISOString(),
    },
    journal: { kind: 'attention_raised', detail: { attention: 'stuck', reason } },
  };
}
