import t from 'tap';
import { topologyOf } from '../../src/adapters/rabbitmq/topology.js';
import { loadConfig } from '../../src/config/index.js';
import { defaultConfigDir } from '../helpers/config-dir.js';

const { amqp } = loadConfig({ dir: defaultConfigDir, env: {} }).gateway;
const groupSizes = (queues: ReturnType<typeof topologyOf>['queues']) =>
  queues.map((queue) => queue.arguments['x-quorum-initial-group-size']);

t.test('quorum queues get the configured initial group size; unset, RabbitMQ picks (every node)', async (t) => {
  const sized = topologyOf({ ...amqp, quorumInitialGroupSize: 3 }).queues;
  t.equal(sized.length, 7);
  t.same(groupSizes(sized), Array(7).fill(3), 'every queue, the dead-letter queue too');
  t.same(groupSizes(topologyOf(amqp).queues), Array(7).fill(undefined));
  t.same(
    groupSizes(topologyOf({ ...amqp, queueType: 'classic', quorumInitialGroupSize: 3 }).queues),
    Array(7).fill(undefined),
    'classic queues have no replicas to size',
  );
});
