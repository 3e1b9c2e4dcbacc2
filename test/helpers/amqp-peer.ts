import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';

export interface Received {
  body: unknown;
  message: ConsumeMessage;
}

/** The other side of the gateway in a test: publishes with confirms and collects what arrives on queues. */
export async function amqpPeer(url: string) {
  const connection: ChannelModel = await connect(url);
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  return {
    channel,
    async publish(exchange: string, routingKey: string, body: unknown, headers: Record<string, unknown> = {}) {
      const content = Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      channel.publish(exchange, routingKey, content, { persistent: true, contentType: 'application/json', headers });
      await channel.waitForConfirms();
    },
    /** Acks and keeps everything that arrives on the queue. */
    async collect(queue: string): Promise<Received[]> {
      const received: Received[] = [];
      const consumer = await connection.createChannel();
      await consumer.consume(queue, (message) => {
        if (!message) return;
        let body: unknown;
        try {
          body = JSON.parse(message.content.toString());
        } catch {
          body = message.content.toString();
        }
        received.push({ body, message });
        consumer.ack(message);
      });
      return received;
    },
    close: () => connection.close().catch(() => undefined),
  };
}

/** Polls until the condition holds; fails with the description after the timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  description: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
