import type { OrderRecord, StatusChange } from './model.js';
import { routingKeyFor, toOrderEvent } from './order-event.js';
import { answer, type Answer, type Plan } from './plan.js';
import { type MessageRow, type NewMessage, toOut } from './rows.js';
import type { OutMessage } from './store.js';
import type { NewDelivery, OrderEventDeliveries } from './webhook-store.js';

/** The rows order events are queued with: the message rows, and the partner webhook deliveries. */
export interface OrderEventRows {
  insertMessage(m: NewMessage, now: number): Answer<number | undefined>;
  findMessage(channel: string, messageId: string): Answer<MessageRow>;
  /** Whether an order event of this order is still unconfirmed (pending): in flight, or held behind another. */
  unconfirmedEventOf(order: OrderRecord): Answer<boolean>;
  /** What each order event must also be delivered as (partner webhooks), if anything. */
  readonly orderEventDeliveries: OrderEventDeliveries | undefined;
  enqueueDeliveries(deliveries: NewDelivery[], now: number): void;
}

/**
 * Records each change of `order` as a pending order event, with its webhook deliveries, in the unit
 * that made the change; the caller publishes what is returned and marks it published. An event
 * already queued (the same cause again) is returned as it was.
 *
 * An order's events go out one publisher at a time, in the order they were written: while an
 * earlier event of the order is unconfirmed, the new ones are held (returned to nobody), and whoever
 * marks that earlier one published claims them next (`markPublished` in record-intake.ts). So a
 * gateway that writes an order's next change cannot publish it ahead of another gateway's publish of
 * the change before.
 */
export function* queueOrderEvents(
  rows: OrderEventRows,
  order: OrderRecord,
  changes: StatusChange[],
  causeId: number | null,
  idPrefix: string,
  now: number,
): Plan<OutMessage[]> {
  if (!changes.length) return [];
  const held = yield* answer(rows.unconfirmedEventOf(order));
  const queued: OutMessage[] = [];
  for (const [i, change] of changes.entries()) {
    const messageId = `${idPrefix}:${i}`;
    const routingKey = routingKeyFor(change);
    const event = toOrderEvent(change, messageId, now);
    const payload = JSON.stringify(event);
    const rowId = yield* answer(
      rows.insertMessage(
        {
          direction: 'out',
          channel: 'order.event',
          type: change.kind,
          messageId,
          causeId: causeId ?? undefined,
          orderId: change.orderId,
          state: 'pending',
          routingKey,
          payload,
        },
        now,
      ),
    );
    if (rowId === undefined) {
      queued.push(toOut(yield* answer(rows.findMessage('order.event', messageId))));
      continue;
    }
    if (rows.orderEventDeliveries) {
      const deliveries = rows.orderEventDeliveries(order.partner, event);
      if (deliveries.length) rows.enqueueDeliveries(deliveries, now);
    }
    queued.push({ rowId, channel: 'order.event', messageId, routingKey, payload });
  }
  return held ? [] : queued;
}
