import type { InboundMessage, OutMessage, PipelineDeps } from './deps.js';
import { traceOf } from './delivery.js';

/**
 * Publishes what the ledger queued and records the broker's confirms. Order events are marked
 * published only after the confirm: until then the watchdog's outbox sweep, or a redelivery of
 * the message that caused them, sends them again (same CloudEvent id).
 */
export async function publishOut({ publisher, ledger, config, clock }: PipelineDeps, out: OutMessage[], cause?: InboundMessage): Promise<void> {
  if (!out.length) return;
  const { exchanges } = config.gateway.amqp;
  const exchangeOf = { 'mes.command': exchanges.mesCommands, 'order.event': exchanges.orderEvents, 'crm.request': exchanges.partnerOrders };
  await Promise.all(out.map((m) => publisher.publish(exchangeOf[m.channel], m.routingKey, Buffer.from(m.payload), { messageId: m.messageId, type: m.channel, headers: traceOf(cause) })));
  // Re-forwarded MES commands keep their own state (awaiting acknowledgement); the rest are done once confirmed.
  const events = out.filter((m) => m.channel !== 'mes.command').map((m) => m.rowId);
  if (events.length) await ledger.markPublished(events, clock());
}
