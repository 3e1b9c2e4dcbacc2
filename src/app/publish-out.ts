import { orderEventContentType } from '../ledger/order-event.js';
import type { AppDeps, OutMessage, PublishOptions } from './ports.js';

/**
 * Publishes what the ledger queued and records the broker's confirms. Order events are marked
 * published only after the confirm: until then the watchdog's outbox sweep, or a redelivery of
 * the message that caused them, sends them again (same CloudEvent id). `trace`: the trace headers
 * of the message that caused them; none for what the gateway sends of its own accord (the watchdog's,
 * a partner request's), which continues the active trace context instead.
 */
export async function publishOut(deps: AppDeps, out: OutMessage[], trace?: Record<string, string>): Promise<void> {
  if (!out.length) return;
  const { publisher, ledger, config, clock } = deps;
  const { exchanges } = config.gateway.amqp;
  const exchangeOf = {
    'mes.command': exchanges.mesCommands,
    'order.event': exchanges.orderEvents,
    'crm.request': exchanges.partnerOrders,
  };
  await Promise.all(
    out.map((m) =>
      publisher.publish(exchangeOf[m.channel], m.routingKey, Buffer.from(m.payload), {
        messageId: m.messageId,
        ...(trace ? { headers: trace } : {}),
        ...describe(m),
      }),
    ),
  );
  // Re-forwarded MES commands keep their own state (awaiting acknowledgement); the rest are done once confirmed.
  const events = out.filter((m) => m.channel !== 'mes.command').map((m) => m.rowId);
  if (!events.length) return;
  // An order's events written meanwhile were held behind these (src/ledger/queue-order-events.ts):
  // they go out now, in order, and are marked in turn, in the trace of the message that released
  // them. Their own cause's trace context is gone by now, and the gateway makes no span active
  // while it handles a message: without it each would start a trace of its own.
  const held = await ledger.markPublished(events, clock());
  await publishOut(deps, held, trace);
}

/**
 * An order event's payload is a CloudEvent in the JSON event format: it goes out in structured
 * content mode (CloudEvents AMQP protocol binding §3.2), its content-type the event format's media
 * type, so a receiver (the `cloudevents` SDK among them) tells it is an event from that property
 * alone; the AMQP type is the event's type, the message id its id. Other messages are plain JSON.
 */
function describe(m: OutMessage): Pick<PublishOptions, 'type' | 'contentType'> {
  if (m.channel !== 'order.event') return { type: m.channel };
  return { type: cloudEventType(m.payload) ?? m.channel, contentType: orderEventContentType };
}

function cloudEventType(payload: string): string | undefined {
  try {
    const { type } = JSON.parse(payload) as { type?: unknown };
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}
