import type { Quarantine, Translation } from '../mapping/index.js';
import type { JournalEntry, OrderRecord } from './model.js';

export type CommandIntake = { kind: 'refused'; reason: string } | { kind: 'create_order' } | { kind: 'forward' };

/**
 * Whether a new CRM command goes to the MES. A create needs no order yet, or only the one a
 * partner's POST made before the CRM created it (its first create is the CRM's answer); every
 * other command needs the order its create made. `creates` counts this order's creates, this one
 * included.
 */
export function decideCommandIntake(
  command: { type: string; orderId: string },
  order: OrderRecord | undefined,
  creates: number,
): CommandIntake {
  if (command.type === 'order.create') {
    if (!order) return { kind: 'create_order' };
    return creates === 1 ? { kind: 'forward' } : { kind: 'refused', reason: `order ${command.orderId} already exists` };
  }
  return order
    ? { kind: 'forward' }
    : { kind: 'refused', reason: `unknown order ${command.orderId}: no order.create was seen for it` };
}

/**
 * An MES event is applied only in a state the mapping knows, to an order that came through the
 * gateway; otherwise it is held for a human (quarantined), never guessed.
 */
export function decideMesEventIntake(
  translation: Translation | Quarantine,
  order: OrderRecord | undefined,
  now: number,
):
  | { kind: 'quarantined'; reason: string; journal: JournalEntry }
  | { kind: 'apply'; order: OrderRecord; translation: Translation } {
  const { event } = translation;
  const ahead = aheadOfClock(event.occurredAt, now, 'the MES');
  if (translation.kind === 'translated' && order && !ahead) return { kind: 'apply', order, translation };
  const reason =
    translation.kind === 'quarantine'
      ? translation.reason
      : (ahead ?? `unknown order ${event.orderId}: it never came through the gateway`);
  return { kind: 'quarantined', reason, journal: { kind: 'quarantined', detail: { mesState: event.state, reason } } };
}

/** A CRM fact about an order the gateway does not know is refused: there is nothing it could move. */
export function decideFactIntake(
  fact: { orderId: string; occurredAt: string },
  order: OrderRecord | undefined,
  now: number,
): { kind: 'refused'; reason: string } | { kind: 'apply'; order: OrderRecord } {
  if (!order) return { kind: 'refused', reason: `unknown order ${fact.orderId}` };
  const ahead = aheadOfClock(fact.occurredAt, now, 'the CRM');
  return ahead ? { kind: 'refused', reason: ahead } : { kind: 'apply', order };
}

/**
 * Whether a message whose id is already recorded is a repeat of it, or another message under the
 * same id (a sender reusing ids): a repeat has the first one's type and order. A repeat is dropped
 * as a duplicate; another message must not be, so it is refused as invalid, with the reason.
 */
export function decideRepeat(
  first: { message_id: string; type: string; order_id: string | null },
  repeat: { type: string; orderId: string },
): { kind: 'id_reused'; reason: string } | undefined {
  if (first.type === repeat.type && first.order_id === repeat.orderId) return undefined;
  return {
    kind: 'id_reused',
    reason: `message id ${first.message_id} was used before, for ${first.type} of order ${first.order_id ?? '(none)'}: give this ${repeat.type} of order ${repeat.orderId} an id of its own`,
  };
}

/**
 * How far ahead of the gateway's clock a sender's time may be. A fact dated later would be the
 * order's newest until then: every real fact before it would be refused as out of order. A day,
 * not minutes: an MES that writes its local time with a Z (UTC+3 in Moscow) is hours ahead in
 * every event, consistently, and must keep working; a date years on is no drift.
 */
const maxClockAheadMs = 24 * 3_600_000;

function aheadOfClock(occurredAt: string, now: number, sender: string): string | undefined {
  const aheadMs = Date.parse(occurredAt) - now;
  if (!(aheadMs > maxClockAheadMs)) return undefined;
  const hours = Math.round(aheadMs / 3_600_000);
  return `dated ${occurredAt}, ${hours} h ahead of the gateway's clock (more than a day): check ${sender}'s clock and time zone`;
}
