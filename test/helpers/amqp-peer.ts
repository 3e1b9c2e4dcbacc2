import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { waitFor } from './wait-for.js';

export { waitFor };

export interface Received {
  body: unknown;
  message: ConsumeMessage;
}

/** The other side of the gateway in a test: publishes with confirms and collects what arrives on queues. */
export async function amqpPeer(url: string) {
  const connection: ChannelModel = await connect(url);
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  const collected = new Map<string, Received[]>();
  let fences = 0;
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
      collected.set(queue, received);
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
    /**
     * Resolves once everything the broker took into the queue before this call is among what
     * `collect(queue)` received, so a count is exact: a marker sent straight to the queue reaches
     * its one consumer after them. Call it only once the work under test has finished publishing
     * (its publishes confirmed); the marker is removed again.
     */
    async fence(queue: string, timeoutMs = 5000) {
      const received = collected.get(queue);
      if (!received) throw new Error(`fence(${queue}): the peer does not collect that queue`);
      const messageId = `fence-${++fences}`;
      channel.sendToQueue(queue, Buffer.from('{}'), { messageId });
      await channel.waitForConfirms();
      const isMarker = (m: Received) => m.message.properties.messageId === messageId;
      await waitFor(() => received.some(isMarker), timeoutMs, `the fence in ${queue}`);
      received.splice(received.findIndex(isMarker), 1);
    },
    close: () => connection.close().catch(() => undefined),
  };
}
