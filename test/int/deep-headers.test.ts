import t from 'tap';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { brokerUrls } from '../../src/config/index.js';
import { undecodableHeaders } from '../../src/adapters/rabbitmq/inbound.js';
import { deadLetterHeaders, senderHeaders } from '../../src/app/dead-letter-headers.js';
import { nestedDeeperThan } from '../../src/contracts/parse-json.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';

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
    Object.keys(senderHeaders({ deep, flat: 'x', traceparent: 'y' })),
    ['flat', 'traceparent'],
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
