import { Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';

/**
 * amqplib writes each frame (a publish, an ack) to the socket on its own: one write() system call
 * per frame. Corked from the first write of a tick until the next tick, the socket sends the frames
 * of that tick in one writev(): the same bytes in the same order, in fewer system calls.
 */
export function coalesceSocketWrites(model: ChannelModel): void {
  const socket = (model.connection as unknown as { stream?: unknown }).stream;
  if (!(socket instanceof Socket)) return;
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args as never);
  } as Socket['write'];
}
