import t from 'tap';
import { deadLetterHeaders } from '../../src/app/dead-letter-headers.js';
import { loadConfig } from '../../src/config/index.js';
import { amqpPeer, waitFor, type Received } from '../helpers/amqp-peer.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';

const config = loadConfig({ dir: defaultConfigDir, env: {} });
const { exchanges, queues } = config.gateway.amqp;

t.test(
  'poison and schema-invalid messages on every input are dead-lettered with the reason; the other orders are unaffected',
  async (t) => {
    let deadLetters: Received[] = [];
    const poison: [exchange: string, routingKey: string, body: unknown, reason: string][] = [
      [exchanges.crmCommands, 'order.create', '{"messageId": "m-1", "type": "order.cre', 'undecodable'],
      [
        exchanges.crmCommands,
        'order.create',
        {
          messageId: 'm-2',
          type: 'order.create',
          orderId: 'X-1',
          partner: 'shop',
          customer: { id: 'c' },
          lines: [],
          sentAt: 'now',
        },
        'invalid',
      ],
      [exchanges.crmCommands, 'order.explode', { messageId: 'm-3', type: 'order.explode' }, 'invalid'],
      [exchanges.crmCommands, 'order.create', Buffer.alloc(300_000, 'x'), 'too_large'],
      [exchanges.mesEvents, 'ORDER_STATE_CHANGED', Buffer.from([0xff, 0xfe, 0x00]), 'undecodable'],
      [
        exchanges.mesEvents,
        'ORDER_STATE_CHANGED',
        {
          header: { eventId: 'e-1', eventType: 'ORDER_STATE_CHANGED', createdAt: 'yesterday' },
          order: { externalRef: 'X-1' },
        },
        'invalid',
      ],
      [
        exchanges.crmEvents,
        'order.delivered',
        { messageId: 'f-1', type: 'order.delivered', orderId: 'X-1' },
        'invalid',
      ],
    ];
    const { report, mes, ledger } = await runE2e(t, {
      orders: 300,
      rate: 150,
      mes: ['--step-ms', '20'],
      crm: ['--deliver-after-ms', '50'],
      during: async (run) => {
        const peer = await amqpPeer(run.vhostUrl);
        t.teardown(peer.close);
        deadLetters = await peer.collect(queues.deadLetter);
        for (const [exchange, routingKey, body] of poison) await peer.publish(exchange, routingKey, body);
        await waitFor(() => deadLetters.length === poison.length, 15_000, `${poison.length} dead letters`);
      },
    });
    const reasons = deadLetters.map((d) => String(d.message.properties.headers?.[deadLetterHeaders.reason])).sort();
    t.same(reasons, poison.map((p) => p[3]).sort(), 'each dead letter carries its reason');
    for (const letter of deadLetters)
      t.match(String(letter.message.properties.headers?.[deadLetterHeaders.error]), /\S/, 'and the error');
    t.match(
      deadLetters.map((d) => String(d.message.properties.headers?.[deadLetterHeaders.error])).join('\n'),
      /\/lines: .*fix: /,
      'validation errors name the field and the fix',
    );
    t.equal(
      ledger.prepare(`SELECT COUNT(*) FROM messages WHERE state = 'invalid'`).pluck().get(),
      poison.length,
      'each recorded as invalid',
    );
    const check = checkRun(report, mes, ledger, config.dialect);
    t.same(check.lost, []);
    t.same(check.mismatched, []);
    t.same(report.unanswered, []);
    t.equal(report.acknowledged.accepted, 300, 'every real order went through');
  },
);
