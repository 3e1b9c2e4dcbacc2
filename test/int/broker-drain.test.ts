import t from 'tap';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';

t.test('a graceful close acks the messages it drained: the broker redelivers none of them', async (t) => {
  const vhost = await createVhost('ob-drain');
  const env = testConfig({ amqpUrl: vhost.url });
  const { amqp } = env.config.gateway;
  const peer = await amqpPeer(vhost.url);
  t.teardown(async () => {
    await peer.close();
    await vhost.remove();
    env.remove();
  });
  // Each round closes while a handler is still working; the race it guards against is lost
  // within a round or two when the acks are not flushed before the connection closes.
  for (let round = 1; round <= 5; round++) {
    const broker = new Broker({ urls: [vhost.url], amqp, logger: silentLogger });
    await broker.start();
    let taken = 0;
    let finished = 0;
    await broker.consume(amqp.queues.crmEvents, async () => {
      taken++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished++;
      return 'ack';
    });
    await peer.publish(amqp.exchanges.crmEvents, 'order.delivered', { round });
    await waitFor(() => taken === 1, 5000, 'the message taken');
    await broker.close();
    t.equal(finished, 1, `round ${round}: the handler finished before the close returned`);
    t.equal(
      (await peer.channel.checkQueue(amqp.queues.crmEvents)).messageCount,
      0,
      `round ${round}: nothing back in the queue`,
    );
  }
});
