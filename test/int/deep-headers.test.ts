import t from 'tap';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { brokerUrls } from '../../src/config/index.js';
import { undecodableHeaders } from '../../src/adapters/rabbitmq/inbound.js';
import { decodeDelivery, invalidMessageId } from '../../src/adapters/rabbitmq/decode-delivery.js';
import { deadLetterHeaders, senderHeaders } from '../../src/app/dead-letter-headers.js';
import { nestedDeeperThan } from '../../src/contracts/parse-json.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { publishViaManagement } from '../helpers/vhost.js';
import { crmCreateCommand } from '../fixtures/mes-events.js';
import { isInfrastructureFault } from '../../src/app/ports.js';

const require = createRequire(import.meta.url);
const codec = require(join(dirname(require.resolve('amqplib')), 'lib/codec.js')) as {
  decodeFields(slice: Buffer): Record<string | symbol, unknown>;
};

/** An AMQP field table {a: {a: … {n: 1} …}} nested `depth` levels, encoded by hand (without recursion). */
function nestedFieldTable(depth: number): Buffer {
  let table = Buffer.from([1, 0x6e, 0x62, 1]); // "n": signed byte 1
  for (let i = 0; i < depth; i++) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(table.length);
    table = Buffer.concat([Buffer.from([1, 0x61, 0x46]), length, table]); // "a": field table
  }
  return table;
}

t.test(
  'a field table nested past what the decoder can recurse is marked undecodable instead of failing the connection',
  async (t) => {
    t.match(codec.decodeFields(nestedFieldTable(3)), { a: { a: { a: { n: 1 } } } }, 'ordinary tables decode as before');
    const marked = codec.decodeFields(nestedFieldTable(20_000));
    t.match(
      String(marked[undecodableHeaders]),
      /nested too deeply to decode/,
      'a 20,000-deep table is marked, not thrown',
    );
    t.same(Object.keys(marked), [], 'and carries nothing a sender wrote');
  },
);

t.test('a header nested deeper than the limit is measured without recursion and never copied on', async (t) => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  t.equal(nestedDeeperThan(deep, 64), true, '100,000 levels measured without a stack overflow');
  t.equal(nestedDeeperThan({ a: { b: [1, 2, { c: 3 }] } }, 64), false);
  t.equal(nestedDeeperThan(Buffer.alloc(10), 0), false, 'a byte array is a value, not nesting');
  t.same(
    senderHeaders({ deep, flat: 'x', traceparent: 'y' }),
    { flat: 'x', traceparent: 'y', [deadLetterHeaders.droppedHeaders]: 'deep' },
    'a deep header is left out of a dead letter or replay',
  );
});

const publisher = resolve(import.meta.dirname, '../helpers/publish-deep-headers.mjs');

t.test(
  'messages with hostile headers on every input are dead-lettered once; the connection never fails; other messages flow',
  async (t) => {
    const { gateway, peer, amqp, env } = await startTestGateway(t, { vhost: 'ob-deep-headers' });
    const { exchanges, queues } = amqp;
    const deadLetters = await peer.collect(queues.deadLetter);
    const toMes = await peer.collect(queues.mesCommands);
    const url = brokerUrls(env.config.gateway.amqp)[0]!;
    const inputs = [exchanges.crmCommands, exchanges.mesEvents, exchanges.crmEvents];
    // 9,300 levels (about what fits amqplib's 64 KiB encoding buffer) overflowed the decoder of a
    // gateway (the connection failed on every delivery); 2,000 decode, but re-encoding them for the
    // dead letter overflowed the encoder (a requeue loop).
    for (const depth of [9_300, 2_000]) {
      for (const exchange of inputs)
        execFileSync(
          process.execPath,
          ['--stack-size=7000', publisher, url, exchange, 'hostile', String(depth), JSON.stringify({ depth })],
          { stdio: 'inherit', timeout: 20_000 },
        );
    }
    await waitFor(() => deadLetters.length === 6, 10_000, 'six dead letters');
    const reasons = deadLetters.map((d) => String(d.message.properties.headers?.[deadLetterHeaders.reason]));
    // Whether 9,300 levels overflow depends on the stack in use when the frame arrives: either way refused.
    t.ok(
      reasons.every((r) => r === 'too_deep' || r === 'undecodable'),
      `undecodable past the decoder, too_deep past the limit (${reasons.join(', ')})`,
    );
    t.ok(
      deadLetters.every((d) => d.message.properties.headers?.deep === undefined),
      'the hostile header is not carried on',
    );
    t.equal(gateway.broker.reconnects, 0, 'the connection never failed');
    t.equal(gateway.broker.connected, true);

    await peer.publish(exchanges.crmCommands, 'order.create', {
      messageId: 'crm-H-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'H-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    });
    await waitFor(() => toMes.length === 1, 5000, 'an order after them forwarded');
    const ledger = new Database(env.ledgerPath, { readonly: true });
    t.teardown(() => ledger.close());
    const rows = ledger
      .prepare(`SELECT MAX(deliveries) AS deliveries, COUNT(*) AS n FROM messages WHERE state = 'invalid'`)
      .get() as { deliveries: number; n: number };
    t.match(rows, { n: 6, deliveries: 1 }, 'each recorded once, never redelivered');
  },
);

t.test("a sender's headers past what a dead letter can carry are left out, by name", async (t) => {
  const big = 'b'.repeat(70_000);
  t.same(
    senderHeaders({ small: 'x', big, other: 'y' }),
    { small: 'x', other: 'y', [deadLetterHeaders.droppedHeaders]: 'big' },
    'one header over the budget',
  );
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v'.repeat(1000)]));
  const kept = senderHeaders(many);
  t.ok(Object.keys(kept).length < 40, `40 headers of 1 KB: ${Object.keys(kept).length - 1} kept, the rest named`);
  t.match(kept[deadLetterHeaders.droppedHeaders], /^h\d+(, h\d+)*$/);
});

t.test(
  'headers larger than a publish can carry: an invalid message is dead-lettered once; a valid one goes on without them',
  async (t) => {
    const { gateway, peer, amqp, env, vhost } = await startTestGateway(t, { vhost: 'ob-big-headers' });
    const { exchanges, queues } = amqp;
    const deadLetters = await peer.collect(queues.deadLetter);
    const toMes = await peer.collect(queues.mesCommands);
    const huge = 'b'.repeat(70_000);
    await publishViaManagement(vhost.name, exchanges.crmCommands, 'order.create', '{"type":"nope"}', {
      message_id: 'crm-BIG-0',
      headers: { big: huge },
    });
    await waitFor(() => deadLetters.length === 1, 10_000, 'the invalid message dead-lettered');
    t.match(deadLetters[0]!.message.properties.headers, {
      [deadLetterHeaders.reason]: 'invalid',
      [deadLetterHeaders.droppedHeaders]: 'big',
    });

    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const create = crmCreateCommand('BIG-1');
    await publishViaManagement(vhost.name, exchanges.crmCommands, 'order.create', JSON.stringify(create), {
      message_id: create.messageId,
      headers: { traceparent, tracestate: `a=${huge}`, baggage: `k=${huge}` },
    });
    await waitFor(() => toMes.length === 1, 10_000, 'the valid command forwarded');
    const sent = toMes[0]!.message.properties.headers ?? {};
    t.equal(sent.traceparent, traceparent, 'its trace context goes on');
    t.notOk('tracestate' in sent || 'baggage' in sent, 'without the tracestate and baggage past W3C limits');

    // Whatever else cannot be encoded is the message's fault: dead-lettered by its handler, not requeued.
    const unencodable = await gateway.broker
      .publish(exchanges.mesCommands, 'x', Buffer.from('{}'), { messageId: 'm', headers: { big: huge } })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    t.match(unencodable, { message: /RabbitMQ cannot carry this message/ });
    t.notOk(isInfrastructureFault(unencodable), 'not a broker outage');

    const ledger = new Database(env.ledgerPath, { readonly: true });
    t.teardown(() => ledger.close());
    t.same(
      ledger
        .prepare('SELECT message_id, state, deliveries FROM messages WHERE channel = ? ORDER BY id')
        .all('crm.command'),
      [
        { message_id: invalidMessageId(Buffer.from('{"type":"nope"}')), state: 'invalid', deliveries: 1 },
        { message_id: 'crm-BIG-1', state: 'forwarded', deliveries: 1 },
      ],
      'each delivered once: nothing requeued',
    );
  },
);

t.test('a body in a content encoding the gateway does not read is refused, saying which', async (t) => {
  const limits = { maxBytes: 262_144, maxDepth: 64 };
  const delivery = (contentEncoding?: string) => ({
    content: Buffer.from('{"a":1}'),
    fields: { exchange: 'x', routingKey: 'r', redelivered: false },
    properties: { headers: {}, ...(contentEncoding === undefined ? {} : { contentEncoding }) },
  });
  t.match(decodeDelivery(delivery('gzip'), limits), {
    ok: false,
    reason: 'undecodable',
    error: /content encoding "gzip" is not read here; fix: send the JSON as it is/,
  });
  for (const encoding of [undefined, 'identity', 'UTF-8'])
    t.match(decodeDelivery(delivery(encoding), limits), { ok: true }, `${encoding ?? 'none'}: read as it is`);
});
