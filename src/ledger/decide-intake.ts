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
):
  | { kind: 'quarantined'; reason: string; journal: JournalEntry }
  | { kind: 'apply'; order: OrderRecord; translation: Translation } {
  const { event } = translation;
  if (translation.kind === 'translated' && order) return { kind: 'apply', order, translation };
  const reason =
    translation.kind === 'quarantine'
      ? translation.reason
      : `unknown order ${event.orderId}: it never came through the gateway`;
  return { kind: 'quarantined', reason, journal: { kind: 'quarantined', detail: { mesState: event.state, reason } } };
}

/** A CRM fact about an order the gateway does not know is refused: there is nothing it could move. */
export function decideFactIntake(
  orderId: string,
  order: OrderRecord | undefined,
): { kind: 'refused'; reason: string } | { kind: 'apply'; order: OrderRecord } {
  return order ? { kind: 'apply', order } : { kind: 'refused', reason: `unknown order ${orderId}` };
}
