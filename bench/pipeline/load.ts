// The load generator and the collector of bench/pipeline/main.ts: both live in the parent process.
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { performance } from 'node:perf_hooks';

/** A valid CRM order.create (contracts/crm/order-create.schema.json), as test/int/pipeline.test.ts builds it. */
export function createCommand(orderId: string, messageId: string, sentAt: string) {
  return {
    messageId,
    type: 'order.create',
    sentAt,
    orderId,
    partner: 'shop',
    customer: { id: 'C-1', name: 'Acme' },
    lines: [{ sku: 'BRKT-200', quantity: 4 }],
  };
}

export interface Command {
  /** The CRM message id, also the AMQP message-id property. */
  messageId: string;
  orderId: string;
}

/** `count` commands with ids unique to this run (`prefix`) and this phase (`from`). */
export function commands(prefix: string, from: number, count: number): Command[] {
  return Array.from({ length: count }, (_, i) => ({
    orderId: `${prefix}-${from + i}`,
    messageId: `crm-${prefix}-${from + i}`,
  }));
}

function publishCommand(channel: ConfirmChannel, exchange: string, command: Command): void {
  const body = createCommand(command.orderId, command.messageId, new Date().toISOString());
  channel.publish(exchange, 'order.create', Buffer.from(JSON.stringify(body)), {
    persistent: true,
    contentType: 'application/json',
    messageId: command.messageId,
  });
}

/** Publishes everything with confirms, in windows, as fast as the broker takes it. */
export async function preload(channel: ConfirmChannel, exchange: string, all: Command[], window = 2000): Promise<void> {
  for (let i = 0; i < all.length; i += window) {
    for (const command of all.slice(i, i + window)) publishCommand(channel, exchange, command);
    await channel.waitForConfirms();
  }
}

/**
 * Publishes at a steady rate (checked every ~2 ms, so at most a few messages leave together) and
 * calls `sent` with each message's send time. Confirms are awaited once at the end, never per message.
 */
export async function publishPaced(
  channel: ConfirmChannel,
  exchange: string,
  all: Command[],
  perSecond: number,
  sent: (command: Command, at: number) => void,
): Promise<void> {
  const start = performance.now();
  let next = 0;
  while (next < all.length) {
    const due = Math.min(all.length, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
    for (; next < due; next++) {
      const command = all[next]!;
      sent(command, performance.now());
      publishCommand(channel, exchange, command);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await channel.waitForConfirms();
}

interface Waiter {
  count: number;
  resolve: (at: number) => void;
}

/**
 * Consumes the MES command queue as the MES would, with a large prefetch and acks in `allUpTo`
 * batches. Counts arrivals, and while `recording` keeps each message's arrival time by message id.
 */
export class Collector {
  received = 0;
  readonly messageIds = new Set<string>();
  readonly arrivals = new Map<string, number>();
  recording = false;
  private waiters: Waiter[] = [];
  private last?: ConsumeMessage;
  private unacked = 0;
  private timer?: NodeJS.Timeout;

  private constructor(private readonly channel: Channel) {}

  static async start(connection: ChannelModel, queue: string, prefetch = 5000, ackEvery = 500): Promise<Collector> {
    const channel = await connection.createChannel();
    await channel.prefetch(prefetch);
    const collector = new Collector(channel);
    await channel.consume(queue, (message) => {
      if (message) collector.arrived(message, ackEvery);
    });
    return collector;
  }

  private arrived(message: ConsumeMessage, ackEvery: number): void {
    const at = performance.now();
    this.received++;
    const id = String(message.properties.messageId);
    // A duplicate (at-least-once publishing) neither counts as another command nor moves the first arrival.
    if (this.recording && !this.messageIds.has(id)) this.arrivals.set(id, at);
    this.messageIds.add(id);
    this.last = message;
    if (++this.unacked >= ackEvery) this.ackAll();
    else this.timer ??= setTimeout(() => this.ackAll(), 20);
    if (this.waiters.length) {
      const done = this.waiters.filter((w) => this.messageIds.size >= w.count);
      this.waiters = this.waiters.filter((w) => this.messageIds.size < w.count);
      for (const waiter of done) waiter.resolve(at);
    }
  }

  private ackAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.last) this.channel.ack(this.last, true);
    this.last = undefined;
    this.unacked = 0;
  }

  /** Resolves with the arrival time of the `count`-th distinct message in all; rejects after `timeoutMs`. */
  until(count: number, timeoutMs: number): Promise<number> {
    if (this.messageIds.size >= count) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`only ${this.messageIds.size} of ${count} MES commands arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        count,
        resolve: (at) => {
          clearTimeout(timeout);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.ackAll();
    await this.channel.close().catch(() => undefined);
  }
}
