import { once } from 'node:events';
import type { ConfirmChannel } from 'amqplib';

export interface ConfirmedPublisher {
  /** Resolves when the broker has confirmed the message; rejects when it refused it or the channel died. */
  publish(exchange: string, routingKey: string, body: unknown, messageId: string): Promise<void>;
  /** Resolves when every publish started so far is settled. */
  settled(): Promise<void>;
}

export function confirmedPublisher(channel: ConfirmChannel): ConfirmedPublisher {
  const pending = new Set<Promise<void>>();
  let drained: Promise<unknown> | undefined;

  async function publishOne(exchange: string, routingKey: string, content: Buffer, messageId: string): Promise<void> {
    // Respect the socket's back-pressure instead of buffering without bound in memory.
    if (drained) await drained;
    await new Promise<void>((resolve, reject) => {
      const options = { persistent: true, contentType: 'application/json', messageId };
      const writable = channel.publish(exchange, routingKey, content, options, (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()));
      if (!writable && !drained) drained = once(channel, 'drain').finally(() => (drained = undefined));
    });
  }

  return {
    publish(exchange, routingKey, body, messageId) {
      const confirmed = publishOne(exchange, routingKey, Buffer.from(JSON.stringify(body)), messageId);
      pending.add(confirmed);
      const forget = () => pending.delete(confirmed);
      confirmed.then(forget, forget);
      return confirmed;
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
  };
}
