import { setTimeout } from 'node:timers/promises';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import type { DeadLetterQueue, QueuedLetter } from '../../app/replay-dead-letters.js';

/** What the ops tools need of a connection (a plain or a recovering one). */
export type Channels = Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;

/**
 * The dead-letter queue on a RabbitMQ connection, for `work`: letters are fetched unacknowledged
 * (so none is fetched twice in one scan) and every one not removed is given back at the end of the
 * scan; copies are published mandatory on a confirm channel. Channels are closed when `work` ends.
 */
export async function withDeadLetterQueue<T>(
  model: Channels,
  queue: string,
  work: (letters: DeadLetterQueue) => Promise<T>,
): Promise<T> {
  let publisher: Awaited<ReturnType<Channels['createConfirmChannel']>> | undefined;
  let returned = false;
  const letters: DeadLetterQueue = {
    async scan(limit, decide) {
      const channel = await model.createChannel();
      const kept: GetMessage[] = [];
      let scanned = 0;
      let queued = 0;
      try {
        queued = (await channel.checkQueue(queue)).messageCount;
        for (; scanned < Math.min(queued, limit); scanned++) {
          const message = await channel.get(queue, { noAck: false });
          if (!message) break;
          if ((await decide(queuedLetter(message))) === 'remove') channel.ack(message);
          else kept.push(message);
        }
      } finally {
        for (const message of kept) channel.nack(message, false, true);
        if (kept.length) await countedAgain(channel, queue, queued - (scanned - kept.length)).catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
      return scanned;
    },
    async republish(exchange, routingKey, letter, headers) {
      if (!publisher) {
        publisher = await model.createConfirmChannel();
        publisher.on('return', () => {
          returned = true;
        });
      }
      returned = false;
      publisher.publish(exchange, routingKey, letter.content, {
        persistent: true,
        mandatory: true,
        contentType: letter.contentType ?? 'application/json',
        headers,
        ...(letter.messageId ? { messageId: letter.messageId } : {}),
      });
      await publisher.waitForConfirms();
      // The broker sends basic.return before the confirm of the same message.
      return returned ? 'unroutable' : 'routed';
    },
  };
  try {
    return await work(letters);
  } finally {
    await publisher?.close().catch(() => undefined);
  }
}

/**
 * A quorum queue counts the letters a scan gave back only once its log has them: until then the next
 * scan (the next replay an operator asks for) would read too few and miss a letter that is there.
 * Waits, bounded, until the queue counts them again.
 */
async function countedAgain(channel: Channel, queue: string, count: number, timeoutMs = 2000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await setTimeout(10)) {
    if ((await channel.checkQueue(queue)).messageCount >= count) return;
  }
}

function queuedLetter(message: GetMessage): QueuedLetter {
  const { messageId, contentType, headers } = message.properties as {
    messageId?: string;
    contentType?: string;
    headers?: Record<string, unknown>;
  };
  return {
    content: message.content,
    routingKey: message.fields.routingKey,
    headers: headers ?? {},
    ...(messageId ? { messageId } : {}),
    ...(contentType ? { contentType } : {}),
  };
}
