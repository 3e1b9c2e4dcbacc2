import t from 'tap';
import { publishOut } from '../../src/app/publish-out.js';
import type { AppDeps, PublishOptions } from '../../src/app/ports.js';
import type { OutMessage } from '../../src/ledger/store.js';

const event = (rowId: number): OutMessage => ({
  rowId,
  channel: 'order.event',
  messageId: `event-${rowId}`,
  routingKey: 'order.status_changed',
  payload: JSON.stringify({ id: `event-${rowId}`, type: 'dev.orderbridge.order.status_changed' }),
});

type Sent = { messageId: string; headers: PublishOptions['headers'] }[];

/** Order events 1 → 2 → 3, each held behind the one before until the broker confirms it. */
function depsReleasingInTurn(sent: Sent): AppDeps {
  return {
    publisher: {
      publish: async (_exchange: string, _routingKey: string, _content: Buffer, options: PublishOptions) => {
        sent.push({ messageId: options.messageId, headers: options.headers });
      },
    },
    ledger: {
      markPublished: async (rowIds: number[]) => (rowIds[0]! < 3 ? [event(rowIds[0]! + 1)] : []),
    },
    config: { gateway: { amqp: { exchanges: { orderEvents: 'orders.events' } } } },
    clock: () => 0,
  } as unknown as AppDeps;
}

t.test(
  'order events held behind an unconfirmed one go out in the trace of the message that released them',
  async (t) => {
    const sent: Sent = [];
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await publishOut(depsReleasingInTurn(sent), [event(1)], trace);
    t.same(
      sent.map((m) => m.messageId),
      ['event-1', 'event-2', 'event-3'],
      'each released in turn by the confirm of the one before',
    );
    t.same(
      sent.map((m) => m.headers),
      [trace, trace, trace],
      'none starts a trace of its own',
    );
  },
);

t.test('what the gateway sends of its own accord carries no trace headers: the active context goes on', async (t) => {
  const sent: Sent = [];
  await publishOut(depsReleasingInTurn(sent), [event(2)]);
  t.same(
    sent.map((m) => [m.messageId, m.headers]),
    [
      ['event-2', undefined],
      ['event-3', undefined],
    ],
  );
});
