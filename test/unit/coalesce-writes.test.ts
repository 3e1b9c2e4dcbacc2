import t from 'tap';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';
import { coalesceSocketWrites } from '../../src/adapters/rabbitmq/coalesce-writes.js';

t.test('frames written in one tick leave in one writev, in order; a later tick starts another', async (t) => {
  const received: Buffer[] = [];
  const server = createServer((peer) => peer.on('data', (chunk) => received.push(chunk)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const socket = new Socket();
  socket.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  t.teardown(() => {
    socket.destroy();
    server.close();
  });
  const calls: string[] = [];
  const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  for (const name of ['_write', '_writev'] as const) {
    const original = internals[name].bind(socket);
    internals[name] = (...args) => {
      calls.push(name);
      original(...args);
    };
  }
  coalesceSocketWrites({ connection: { stream: socket } } as unknown as ChannelModel);

  for (const frame of ['a', 'b', 'c']) socket.write(frame);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => socket.write('d', resolve));
  t.same(calls.slice(0, 2), ['_writev', '_write'], 'one writev for a, b, c; then d alone');
  while (Buffer.concat(received).length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(Buffer.concat(received).toString(), 'abcd');
});
