import { applyStatus, type StatusFact } from '../mapping/index.js';
import type { Attention, EventState, JournalEntry, OrderRecord, OrderUpdate, StatusChange } from './model.js';

export interface Deadlines {
  /** How long an order may stay in a status before it is stuck; undefined: never. */
  stuckAfterMs(status: string): number | undefined;
}

export interface StatusDecision {
  eventState: Exclude<EventState, 'acknowledged' | 'quarantined'>;
  reason?: string;
  order: OrderUpdate;
  changes: StatusChange[];
  journal: JournalEntry[];
}

/**
 * Applies one status fact (from the MES or the CRM) to an order record: the status rule itself is
 * the mapping's applyStatus; here the deadline restarts and a stuck flag clears on progress.
 */
export function decideStatusFact(
  order: OrderRecord,
  attention: Attention | null,
  fact: StatusFact & { mesState?: string },
  now: number,
  deadlines: Deadlines,
): StatusDecision {
  const outcome = applyStatus(order.state, fact);
  const mesState = fact.mesState === undefined ? {} : { mesState: fact.mesState };
  if (outcome.kind !== 'applied') {
    return {
      eventState: outcome.kind,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
      order: { state: outcome.state, statusEnteredAt: order.statusEnteredAt, stuckAt: order.stuckAt, attention },
      changes: [],
      journal: [
        {
          kind: outcome.kind,
          detail: {
            status: fact.status,
            source: fact.source,
            ...mesState,
            ...('reason' in outcome ? { reason: outcome.reason } : {}),
          },
        },
      ],
    };
  }
  const changes: StatusChange[] = [
    {
      orderId: order.orderId,
      kind: 'status_changed',
      status: outcome.to,
      previousStatus: outcome.from,
      ...mesState,
      occurredAt: fact.occurredAt,
    },
  ];
  const journal: JournalEntry[] = [
    {
      kind: 'status_changed',
      detail: { from: outcome.from, to: outcome.to, source: fact.source, ...mesState, occurredAt: fact.occurredAt },
    },
  ];
  if (attention?.kind === 'stuck') {
    changes.push({
      orderId: order.orderId,
      kind: 'attention_cleared',
      attention: 'stuck',
      status: outcome.to,
      occurredAt: fact.occurredAt,
      reason: `progressed to ${outcome.to}`,
    });
    journal.push({ kind: 'attention_cleared', detail: { attention: 'stuck' } });
    attention = null;
  }
  const stuckAfter = deadlines.stuckAfterMs(outcome.to);
  return {
    eventState: 'applied',
    order: {
      state: outcome.state,
      statusEnteredAt: now,
      stuckAt: stuckAfter === undefined ? null : now + stuckAfter,
      attention,
    },
    changes,
    journal,
  };
}
