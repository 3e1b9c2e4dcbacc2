import t from 'tap';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AckWindow } from '../../src/adapters/rabbitmq/ack-window.js';

/** A channel that records the acknowledgement frames it is asked to send. */
function recordingChannel() {
  const frames: string[] = [];
  return {
    frames,
    ack: (message: { fields: { deliveryTag: number } }, allUpTo?: boolean) => {
      frames.push(`${allUpTo ? 'up to ' : ''}${message.fields.deliveryTag}`);
    },
  };
}

function receivedWindow(tags: number) {
  const channel = recordingChannel();
  const window = new AckWindow(channel);
  for (let tag = 1; tag <= tags; tag++) window.received(tag);
  return { channel, window };
}

t.test('deliveries acknowledged in one tick go out as one multiple ack, at the end of the tick', async (t) => {
  const { channel, window } = receivedWindow(5);
  for (const tag of [2, 1, 3, 5, 4]) window.ack(tag);
  t.same(channel.frames, [], 'nothing before the tick ends');
  await nextTurn();
  t.same(channel.frames, ['up to 5']);
});

t.test('a delivery still handled holds only the multiple ack: those after it are acked one by one', async (t) => {
  const { channel, window } = receivedWindow(6);
  for (const tag of [1, 2, 4, 6]) window.ack(tag);
  await nextTurn();
  t.same(channel.frames, ['up to 2', '4', '6'], '3 and 5 are still being handled');
  window.ack(5);
  window.ack(3);
  await nextTurn();
  t.same(channel.frames.slice(3), ['up to 5'], 'names 5, which the broker still holds: 4 and 6 are acked already');
});

t.test('the multiple ack names a delivery the broker still holds, never one acknowledged before', async (t) => {
  const { channel, window } = receivedWindow(3);
  window.ack(3);
  await nextTurn();
  window.ack(1);
  await nextTurn();
  window.ack(2);
  await nextTurn();
  t.same(
    channel.frames,
    ['3', 'up to 1', 'up to 2'],
    'not "up to 3": RabbitMQ closes the channel on a tag it no longer holds',
  );
});

t.test('a delivery the caller nacked counts as settled', async (t) => {
  const { channel, window } = receivedWindow(4);
  window.ack(1);
  window.settledElsewhere(2);
  window.ack(4);
  await nextTurn();
  t.same(channel.frames, ['up to 1', '4'], '3 is still handled');
  window.ack(3);
  await nextTurn();
  t.same(channel.frames.slice(2), ['up to 3']);
});

t.test('flush sends at once what is acknowledged (a close), and the tick then sends nothing twice', async (t) => {
  const { channel, window } = receivedWindow(2);
  window.ack(1);
  window.ack(2);
  window.flush();
  t.same(channel.frames, ['up to 2']);
  await nextTurn();
  t.same(channel.frames, ['up to 2']);
});

t.test('a channel that is gone throws from flush, and not from the end of the tick', async (t) => {
  const window = new AckWindow({
    ack: () => {
      throw new Error('Channel closed');
    },
  });
  window.received(1);
  window.ack(1);
  await nextTurn();
  window.received(2);
  window.ack(2);
  t.throws(() => window.flush(), /Channel closed/);
});
