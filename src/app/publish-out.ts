import type { AppDeps, OutMessage } from './ports.js';

/**
 * Publishes what the ledger queued and records the broker's confirms. Order events are marked
 * published only after the confirm: until then the watchdog's outbox sweep, or a redelivery of
 * the message that caused them, sends them again (same CloudEvent id).
 */
export async function publishOut({ publisher, ledger, config, clock }: AppDeps, out: OutMessage[], trace: Record<string, string> = {}): Promise<void> {
  if (!out.length) return;
  const { exchanges } = config.gateway.amqp;
  const exchangeOf = { 'mes.command': exchanges.mesCommands, 'order.event': exchanges.orderEvents, 'crm.request': exchanges.partnerOrders };
  await Promise.all(out.map((m) => publisher.publish(exchangeOf[m.channel], m.routingKey, Buffer.from(m.payload), { messageId: m.messageId, type: m.channel, headers: trace })));
  // Re-forwarded MES commands keep their own state (awaiting acknowledgement); the rest are done once confirmed.
  const events = out.filter((m) => m.channel !== 'mes.command').map((m) => m.rowId);
  if (events.length) await ledger.markPublished(events, clock());
}
