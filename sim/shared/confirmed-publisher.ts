import type { ConfirmChannel } from 'amqplib';
import { contextFrom, inSpan, traceHeaders } from '../../src/telemetry/tracing.js';
import { publishSpan } from '../../src/telemetry/messaging-spans.js';
import { sleep } from './clock.js';

/** How long a message the broker nacked waits before it is published again on the same channel. */
const nackRetryMs = 200;

export interface ConfirmedPublisher {
  /**
   * Resolves when the broker has confirmed the message. A message the broker did not confirm
   * (nacked, or its channel died with the connection) is published again with the same
   * messageId, on the channel of the next connection if need be: at least once, never dropped.
   * While there is no channel it waits. Rejects only after stopWaiting(). Traced as a producer span,
   * a child of `trace` (the W3C headers of what caused it) or of the active context, whose
   * traceparent the message carries.
   */
  publish(
    exchange: string,
    routingKey: string,
    body: unknown,
    messageId: string,
    trace?: Record<string, unknown>,
  ): Promise<void>;
  /** Publishes on this channel from now on: the connection's setup hands over each new one. */
  use(channel: ConfirmChannel): void;
  /** When stopping: what would wait for a reconnect, or be published again, fails instead. */
  stopWaiting(): void;
  /** Resolves when every publish started so far is settled. */
  settled(): Promise<void>;
}

interface Waiter {
  resolve: (channel: ConfirmChannel) => void;
  reject: (error: Error) => void;
}

export function confirmedPublisher(): ConfirmedPublisher {
  const pending = new Set<Promise<void>>();
  let current: ConfirmChannel | undefined;
  const waiters: Waiter[] = [];
  let stopped = false;
  let drained: Promise<void> | undefined;

  function whenConnected(): Promise<ConfirmChannel> {
    if (current) return Promise.resolve(current);
    if (stopped) return Promise.reject(new Error('not connected to RabbitMQ, and stopping'));
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  async function publishOn(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    messageId: string,
    headers: Record<string, string>,
  ): Promise<void> {
    // Respect the socket's back-pressure instead of buffering without bound in memory.
    if (drained) await drained;
    await new Promise<void>((resolve, reject) => {
      const options = { persistent: true, contentType: 'application/json', messageId, headers };
      const writable = channel.publish(exchange, routingKey, content, options, (error) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
      if (!writable && !drained) drained = drainedOrClosed(channel).finally(() => (drained = undefined));
    });
  }

  async function publishUntilConfirmed(
    exchange: string,
    routingKey: string,
    content: Buffer,
    messageId: string,
    headers: Record<string, string>,
  ): Promise<void> {
    for (;;) {
      const on = await whenConnected();
      try {
        await publishOn(on, exchange, routingKey, content, messageId, headers);
        return;
      } catch (error) {
        if (stopped) throw error;
        // A channel that died was dropped by its 'close' listener in the same emit that failed this
        // confirm, so a channel still current means the broker nacked the message.
        if (on === current) await sleep(nackRetryMs);
      }
    }
  }

  return {
    publish(exchange, routingKey, body, messageId, trace) {
      const content = Buffer.from(JSON.stringify(body));
      const span = publishSpan(exchange, routingKey, messageId);
      const confirmed = inSpan(span.name, { ...span.options, ...(trace ? { parent: contextFrom(trace) } : {}) }, () =>
        publishUntilConfirmed(exchange, routingKey, content, messageId, traceHeaders(trace)),
      );
      pending.add(confirmed);
      const forget = () => pending.delete(confirmed);
      confirmed.then(forget, forget);
      return confirmed;
    },
    use(next) {
      current = next;
      next.on('close', () => {
        if (current === next) current = undefined;
      });
      for (const waiter of waiters.splice(0)) waiter.resolve(next);
    },
    stopWaiting() {
      stopped = true;
      const error = new Error('not connected to RabbitMQ, and stopping');
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
  };
}

function drainedOrClosed(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}
