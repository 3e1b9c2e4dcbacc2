import t from 'tap';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { topologyOf } from '../../src/adapters/rabbitmq/topology.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';

// A queue deleted under a consumer (by an operator, or with the node of a classic queue) makes the
// broker cancel the consumer while the connection lives on: no reconnect would resume it.
t.test('a consumer the broker cancels is resumed once its queue is back, without a reconnect', async (t) => {
  const vhost = await createVhost('ob-cancel');
  const env = testConfig({ amqpUrl: vhost.url });
  const { amqp } = env.config.gateway;
  const peer = await amqpPeer(vhost.url);
  const broker = new Broker({ urls: [vhost.url], amqp, logger: silentLogger });
  t.teardown(async () => {
    await broker.close();
    await peer.close();
    await vhost.remove();
    env.remove();
  });
  await broker.start();
  const heard: unknown[] = [];
  await broker.consume(amqp.queues.crmEvents, async (message) => {
    heard.push(JSON.parse(message.content.toString()));
    return 'ack';
  });
  await peer.publish(amqp.exchanges.crmEvents, 'order.delivered', { n: 1 });
  await waitFor(() => heard.length === 1, 5000, 'the first message');

  await peer.channel.deleteQueue(amqp.queues.crmEvents);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const queue = topologyOf(amqp).queues.find((q) => q.role === 'crmEvents')!;
  await peer.channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
  await peer.channel.bindQueue(queue.name, queue.exchange, queue.bindingKey);
  await peer.publish(amqp.exchanges.crmEvents, 'order.delivered', { n: 2 });
  await waitFor(() => heard.length === 2, 10_000, 'the message sent after the queue came back');
  t.same(heard, [{ n: 1 }, { n: 2 }]);
  t.equal(broker.reconnects, 0, 'on the same connection');
});
