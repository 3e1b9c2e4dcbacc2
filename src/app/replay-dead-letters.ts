import type { Config } from '../config/index.js';
import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { readPointer, readText } from '../mapping/index.js';
import { deadLetterHeaders, senderHeaders } from './dead-letter-headers.js';
import type { OpsLedger } from '../ledger/index.js';
import type { MessageChannel } from '../ledger/model.js';
import { defaultMaxJsonDepth } from '../contracts/parse-json.js';
import { decodeJson, stringField } from './message-input.js';

/** A message in the dead-letter queue, as the broker holds it. */
export interface QueuedLetter {
  content: Buffer;
  /** The routing key it was dead-lettered with (the gateway uses its input channel). */
  routingKey: string;
  messageId?: string;
  contentType?: string;
  headers: Record<string, unknown>;
}

/** What the ops tools need of the dead-letter queue (adapters/rabbitmq/dead-letter-queue.ts). */
export interface DeadLetterQueue {
  /** Up to `limit` letters, each left in the queue unless `decide` says 'remove'; returns how many were scanned. */
  scan(limit: number, decide: (letter: QueuedLetter) => Promise<'keep' | 'remove'>): Promise<number>;
  /** Publishes a copy, mandatory and confirmed: 'unroutable' when no queue took it. */
  republish(
    exchange: string,
    routingKey: string,
    letter: QueuedLetter,
    headers: Record<string, unknown>,
  ): Promise<'routed' | 'unroutable'>;
}

/** One message in the dead-letter queue, as the ops commands show it. */
export interface DeadLetter {
  /** The id replay takes: the AMQP message id the gateway gave it when dead-lettering. */
  id: string;
  /** Why: the gateway's reason, or broker:<x-death reason> (e.g. broker:delivery_limit) for one the broker dead-lettered. */
  reason: string;
  error: string;
  /** Where it was first published (display only: a replay goes where the gateway's own records say). */
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

export const replaysHeader = deadLetterHeaders.replays;

/** Reads the dead-letter queue without taking anything out of it; `limit` bounds the scan. */
export async function listDeadLetters(queue: DeadLetterQueue, config: Config, limit = 10_000): Promise<DeadLetter[]> {
  const gateway = gatewayOf(config);
  const letters: DeadLetter[] = [];
  await queue.scan(limit, async (letter) => {
    letters.push(describe(letter, gateway));
    return 'keep';
  });
  return letters;
}

/** Grouped by reason, the largest group first. */
export function groupByReason(letters: DeadLetter[]): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetter[]>();
  for (const letter of letters) groups.set(letter.reason, [...(groups.get(letter.reason) ?? []), letter]);
  return [...groups]
    .map(([reason, list]) => ({ reason, count: list.length, letters: list }))
    .sort((a, b) => b.count - a.count);
}

export interface ReplayRefusal {
  letter: DeadLetter;
  /** Why it was not replayed; it stays in the dead letters. */
  problem: string;
}

export interface ReplayResult {
  replayed: DeadLetter[];
  /** Matching dead letters that could not be replayed, each with why; they stay in the queue. */
  refused: ReplayRefusal[];
  /** Dead letters scanned that were not replayed. */
  kept: number;
}

/** What replay needs of the ledger: the gateway's own record of a dead letter, and a note of each replay. */
export type ReplayLedger = Pick<OpsLedger, 'deadLetteredChannels' | 'releaseDeadLetter'>;

/**
 * Re-injects the matching dead letters into the gateway input they came from, as the gateway
 * recorded it (its ledger row, or for a message the broker dead-lettered, the x-death queue),
 * never where headers a sender could write point. Published mandatory on a confirm channel; the
 * dead letter is removed only after the broker confirmed the copy was routed. A replay counts in a
 * header: one that fails again returns to the dead letters with its count. The ledger notes each
 * replay in the order's journal and frees a refused message's id, so the replayed copy is handled
 * afresh rather than as a duplicate.
 */
export async function replayDeadLetters(options: {
  queue: DeadLetterQueue;
  config: Config;
  ledger: ReplayLedger;
  match: (letter: DeadLetter) => boolean;
  now: () => number;
  limit?: number;
}): Promise<ReplayResult> {
  const { queue, ledger, match, now } = options;
  const gateway = gatewayOf(options.config);
  const replayed: DeadLetter[] = [];
  const refused: ReplayRefusal[] = [];
  const scanned = await queue.scan(options.limit ?? 10_000, async (message) => {
    const letter = describe(message, gateway);
    if (!match(letter)) return 'keep';
    const origin = await replayOrigin(letter, message, gateway, ledger);
    if (!origin.ok) {
      refused.push({ letter, problem: origin.problem });
      return 'keep';
    }
    await ledger.releaseDeadLetter(
      origin.input.channel,
      messageIdsIn(message.content, gateway.paths),
      {
        id: letter.id,
        reason: letter.reason,
        replays: letter.replays + 1,
        ...(letter.orderId ? { orderId: letter.orderId } : {}),
      },
      now(),
    );
    const headers = { ...senderHeaders(message.headers), [replaysHeader]: letter.replays + 1 };
    if ((await queue.republish(origin.input.exchange, origin.routingKey, message, headers)) === 'unroutable') {
      refused.push({
        letter,
        problem: `unroutable: no queue is bound to ${origin.input.exchange}; it stays in the dead letters (run the gateway once to declare its topology)`,
      });
      return 'keep';
    }
    replayed.push(letter);
    return 'remove';
  });
  return { replayed, refused, kept: scanned - replayed.length };
}

interface GatewayInput {
  channel: MessageChannel;
  exchange: string;
  queue: string;
}

/** What the ops tools read a dead letter by: the gateway's inputs (the only places a replay may go) and the MES dialect's paths. */
interface Gateway {
  inputs: GatewayInput[];
  paths: DialectConfig['events']['paths'];
}

function gatewayOf({
  gateway: {
    amqp: { exchanges, queues },
  },
  dialect,
}: Config): Gateway {
  return {
    paths: dialect.events.paths,
    inputs: [
      { channel: 'crm.command', exchange: exchanges.crmCommands, queue: queues.crmCommands },
      { channel: 'mes.event', exchange: exchanges.mesEvents, queue: queues.mesEvents },
      { channel: 'crm.fact', exchange: exchanges.crmEvents, queue: queues.crmEvents },
    ],
  };
}

type Origin = { ok: true; input: GatewayInput; routingKey: string } | { ok: false; problem: string };

/**
 * Where a replay goes. A message the broker dead-lettered carries x-death, which the broker writes
 * (its newest entry first): its queue must be one of the gateway's inputs. Otherwise the gateway
 * dead-lettered it, and its ledger says on which input.
 */
async function replayOrigin(
  letter: DeadLetter,
  message: QueuedLetter,
  { inputs, paths }: Gateway,
  ledger: ReplayLedger,
): Promise<Origin> {
  const death = newestDeath(message.headers);
  if (death) {
    const input = inputs.find((i) => i.queue === death.queue);
    return input
      ? { ok: true, input, routingKey: death.routingKey ?? letter.routingKey }
      : {
          ok: false,
          problem: `the broker dead-lettered it from queue ${death.queue}, which is not a gateway input (${inputs.map((i) => i.queue).join(', ')}); it stays in the dead letters`,
        };
  }
  const recorded = new Set(await ledger.deadLetteredChannels([letter.id, ...messageIdsIn(message.content, paths)]));
  const candidates = inputs.filter((i) => recorded.has(i.channel));
  const input = candidates.length === 1 ? candidates[0] : candidates.find((i) => i.channel === message.routingKey);
  if (!input) {
    return {
      ok: false,
      problem: candidates.length
        ? `the ledger recorded it on several inputs (${candidates.map((i) => i.channel).join(', ')}); it stays in the dead letters`
        : 'its origin cannot be established: the ledger has no record of dead-lettering it and the broker did not (no x-death); it stays in the dead letters',
    };
  }
  return { ok: true, input, routingKey: letter.routingKey };
}

/** The broker's newest x-death entry: the queue it took the message from, and the routing key it was published with. */
function newestDeath(
  headers: Record<string, unknown> | undefined,
): { queue: string; exchange: string; reason: string; routingKey?: string } | undefined {
  const deaths: unknown = headers?.['x-death'];
  const newest = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown> | undefined) : undefined;
  if (!newest || typeof newest.queue !== 'string') return undefined;
  const keys = newest['routing-keys'];
  const routingKey = Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : undefined;
  return {
    queue: newest.queue,
    exchange: String(newest.exchange ?? ''),
    reason: typeof newest.reason === 'string' ? newest.reason : 'unknown',
    ...(routingKey ? { routingKey } : {}),
  };
}

function describe(message: QueuedLetter, { inputs, paths }: Gateway): DeadLetter {
  const { headers } = message;
  const text = (key: string) =>
    typeof headers[key] === 'string'
      ? headers[key]
      : Buffer.isBuffer(headers[key])
        ? headers[key].toString('utf8')
        : '';
  const orderId = orderIdIn(message.content, paths);
  const death = newestDeath(headers);
  return {
    id: message.messageId ?? '',
    reason: death ? `broker:${death.reason}` : text(deadLetterHeaders.reason) || 'unknown',
    error: death
      ? `dead-lettered by the broker from queue ${death.queue} (${death.reason})`
      : text(deadLetterHeaders.error),
    exchange: death ? death.exchange : text(deadLetterHeaders.originalExchange),
    routingKey: death?.routingKey ?? text(deadLetterHeaders.originalRoutingKey),
    channel: death ? (inputs.find((i) => i.queue === death.queue)?.channel ?? death.queue) : message.routingKey,
    ...(orderId ? { orderId } : {}),
    replays: Number(headers[replaysHeader] ?? 0) || 0,
    bytes: message.content.length,
  };
}

/** The ids the ledger may know the message by: a CRM message id, or an MES event id where the dialect reads it. */
function messageIdsIn(content: Buffer, paths: DialectConfig['events']['paths']): string[] {
  const body = bodyOf(content);
  return [stringField(body, 'messageId'), idAt(body, paths.eventId)].filter((id): id is string => id !== undefined);
}

/** A CRM message's order id, or an MES event's where the dialect reads it. */
function orderIdIn(content: Buffer, paths: DialectConfig['events']['paths']): string | undefined {
  const body = bodyOf(content);
  return stringField(body, 'orderId') ?? idAt(body, paths.orderId);
}

function idAt(body: unknown, pointer: string): string | undefined {
  const value = readText(readPointer(body, pointer));
  return value !== undefined && value.length <= 128 ? value : undefined;
}

/** Dead letters are bounded by the broker's message size; an undecodable one has no ids. */
function bodyOf(content: Buffer): unknown {
  const decoded = decodeJson(content, { maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: defaultMaxJsonDepth });
  return decoded.ok ? decoded.value : undefined;
}
