import type { ChannelModel, GetMessage } from 'amqplib';

/** What the ops tools need of a connection (a plain or a recovering one). */
export type Channels = Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;
import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import { deadLetterHeaders } from '../adapters/rabbitmq/topology.js';
import type { SqliteLedger } from '../ledger/index.js';
import { decodeJson, stringField } from '../pipeline/decode.js';

/** One message in the dead-letter queue, as the ops commands show it. */
export interface DeadLetter {
  /** The id replay takes: the AMQP message id the gateway gave it when dead-lettering. */
  id: string;
  reason: string;
  error: string;
  /** Where it came from and goes back to when replayed. */
  exchange: string;
  routingKey: string;
  /** The input channel (crm.command, mes.event, crm.fact). */
  channel: string;
  orderId?: string;
  /** Replays so far. */
  replays: number;
  bytes: number;
}

export interface DeadLetterGroup {
  reason: string;
  count: number;
  letters: DeadLetter[];
}

export const replaysHeader = 'x-orderbridge-replays';

/**
 * Reads the dead-letter queue without taking anything out of it: every message is fetched
 * unacknowledged (so none is fetched twice) and given back at the end. `limit` bounds the scan.
 */
export async function listDeadLetters(model: Channels, amqp: GatewayConfig['amqp'], limit = 10_000): Promise<DeadLetter[]> {
  return withDeadLetterQueue(model, amqp, limit, async () => 'keep');
}

/** Grouped by reason, the largest group first. */
export function groupByReason(letters: DeadLetter[]): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetter[]>();
  for (const letter of letters) groups.set(letter.reason, [...(groups.get(letter.reason) ?? []), letter]);
  return [...groups].map(([reason, list]) => ({ reason, count: list.length, letters: list })).sort((a, b) => b.count - a.count);
}

export interface ReplayResult {
  replayed: DeadLetter[];
  /** Dead letters scanned that did not match. */
  kept: number;
}

/**
 * Re-injects the matching dead letters into the exchange they came from (publisher confirms first,
 * then the dead letter is removed), counting the replay in a header: one that fails again returns
 * to the dead letters with its count. The ledger notes each replay in the order's journal and frees
 * a refused message's id, so the replayed copy is handled afresh rather than as a duplicate.
 */
export async function replayDeadLetters(options: { model: Channels; amqp: GatewayConfig['amqp']; ledger: SqliteLedger; match: (letter: DeadLetter) => boolean; now: () => number; limit?: number }): Promise<ReplayResult> {
  const { model, amqp, ledger, match, now } = options;
  const replayed: DeadLetter[] = [];
  const publisher = await model.createConfirmChannel();
  try {
    const scanned = await withDeadLetterQueue(model, amqp, options.limit ?? 10_000, async (letter, message) => {
      if (!match(letter)) return 'keep';
      const headers: Record<string, unknown> = { ...message.properties.headers, [replaysHeader]: letter.replays + 1 };
      for (const key of [deadLetterHeaders.reason, deadLetterHeaders.error, deadLetterHeaders.originalExchange, deadLetterHeaders.originalRoutingKey]) delete headers[key];
      await ledger.releaseDeadLetter(letter.channel, messageIdsIn(message.content), { id: letter.id, reason: letter.reason, replays: letter.replays + 1, ...(letter.orderId ? { orderId: letter.orderId } : {}) }, now());
      publisher.publish(letter.exchange, letter.routingKey, message.content, { persistent: true, contentType: message.properties.contentType ?? 'application/json', headers, ...(message.properties.messageId ? { messageId: message.properties.messageId } : {}) });
      await publisher.waitForConfirms();
      replayed.push(letter);
      return 'remove';
    });
    return { replayed, kept: scanned.length - replayed.length };
  } finally {
    await publisher.close().catch(() => undefined);
  }
}

/**
 * Fetches up to `limit` dead letters unacknowledged, asks `decide` about each ('remove' acks it
 * after `decide` resolved), then gives every kept one back to the queue.
 */
async function withDeadLetterQueue(model: Channels, amqp: GatewayConfig['amqp'], limit: number, decide: (letter: DeadLetter, message: GetMessage) => Promise<'keep' | 'remove'>): Promise<DeadLetter[]> {
  const channel = await model.createChannel();
  const kept: GetMessage[] = [];
  const seen: DeadLetter[] = [];
  try {
    const { messageCount } = await channel.checkQueue(amqp.queues.deadLetter);
    for (let i = 0; i < Math.min(messageCount, limit); i++) {
      const message = await channel.get(amqp.queues.deadLetter, { noAck: false });
      if (!message) break;
      const letter = describe(message);
      seen.push(letter);
      if ((await decide(letter, message)) === 'remove') channel.ack(message);
      else kept.push(message);
    }
  } finally {
    for (const message of kept) channel.nack(message, false, true);
    await channel.close().catch(() => undefined);
  }
  return seen;
}

function describe(message: GetMessage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const text = (key: string) => (typeof headers[key] === 'string' ? headers[key] : Buffer.isBuffer(headers[key]) ? headers[key].toString('utf8') : '');
  const orderId = orderIdIn(message.content);
  return {
    id: message.properties.messageId ?? '',
    reason: text(deadLetterHeaders.reason) || 'unknown',
    error: text(deadLetterHeaders.error),
    exchange: text(deadLetterHeaders.originalExchange),
    routingKey: text(deadLetterHeaders.originalRoutingKey),
    channel: message.fields.routingKey,
    ...(orderId ? { orderId } : {}),
    replays: Number(headers[replaysHeader] ?? 0) || 0,
    bytes: message.content.length,
  };
}

/** The ids the ledger may know the message by: a CRM message id, an MES event id. */
function messageIdsIn(content: Buffer): string[] {
  const body = bodyOf(content);
  return [stringField(body, 'messageId'), stringField(fieldOf(body, 'header'), 'eventId')].filter((id): id is string => id !== undefined);
}

function orderIdIn(content: Buffer): string | undefined {
  const body = bodyOf(content);
  return stringField(body, 'orderId') ?? stringField(fieldOf(body, 'order'), 'externalRef');
}

/** Dead letters are bounded by the broker's message size; an undecodable one has no ids. */
function bodyOf(content: Buffer): unknown {
  const decoded = decodeJson(content, Number.MAX_SAFE_INTEGER);
  return decoded.ok ? decoded.value : undefined;
}

function fieldOf(value: unknown, field: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
}
