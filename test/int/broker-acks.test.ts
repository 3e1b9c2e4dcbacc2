import t from 'tap';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost, rabbitmqctl } from '../helpers/vhost.js';

/** The queue's messages the broker holds unacknowledged and ready, from RabbitMQ itself. */
async function queueCounts(vhost: string, queue: string): Promise<{ unacked: number; ready: number }> {
  const { stdout } = await rabbitmqctl(
    'list_queues',
    '-p',
    vhost,
    '--no-table-headers',
    'name',
    'messages_unacknowledged',
    'messages_ready',
  );
  const row = stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([name]) => name === queue);
  if (!row) throw new Error(`queue ${queue} not listed in ${vhost}:\n${stdout}`);
  return { unacked: Number(row[1]), ready: Number(row[2]) };
}

t.test(
  'acks out of order and around a slow message: the broker takes every one, holds only the slow one, and redelivers nothing',
  async (t) => {
    const vhost = await createVhost('ob-acks');
    const env = testConfig({ amqpUrl: vhost.url });
    const { amqp } = env.config.gateway;
    const queue = amqp.queues.crmEvents;
    const peer = await amqpPeer(vhost.url);
    const broker = new Broker({ urls: [vhost.url], amqp, logger: silentLogger });
    t.teardown(async () => {
      await broker.close(1000);
      await peer.close();
      await vhost.remove();
      env.remove();
    });
    await broker.start();
    const total = 40;
    let releaseSlow = () => {};
    const slowReleased = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const handled: number[] = [];
    let redelivered = 0;
    await broker.consume(queue, async (message) => {
      if (message.fields.redelivered) redelivered++;
      const { n } = JSON.parse(message.content.toString()) as { n: number };
      // Every fifth message answers 0–9 ms late, so the acks come out of delivery order; the
      // seventh waits until the test releases it.
      if (n === 7) await slowReleased;
      else if (n % 5 === 0) await new Promise((resolve) => setTimeout(resolve, n % 10));
      handled.push(n);
      return 'ack';
    });
    for (let n = 1; n <= total; n++) await peer.publish(amqp.exchanges.crmEvents, 'order.delivered', { n });
    await waitFor(() => handled.length === total - 1, 10_000, 'every message but the slow one handled');
    // Past the tick in which the last ones were acknowledged, and the broker's own bookkeeping.
    await waitFor(
      async () => (await queueCounts(vhost.name, queue)).unacked === 1,
      10_000,
      'the broker holds only the slow message',
    );
    t.same(await queueCounts(vhost.name, queue), { unacked: 1, ready: 0 }, 'the slow one held, no other');
    releaseSlow();
    await waitFor(() => handled.length === total, 5000, 'the slow message handled');
    await waitFor(
      async () => (await queueCounts(vhost.name, queue)).unacked === 0,
      10_000,
      'nothing held once the slow one is acked',
    );
    t.same(await queueCounts(vhost.name, queue), { unacked: 0, ready: 0 }, 'all acknowledged, none back in the queue');
    t.equal(redelivered, 0, 'no channel closed on an ack: nothing redelivered');
    t.same(
      [...handled].sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i + 1),
      'each message handled once',
    );
  },
);
