import t from 'tap';
import { deadLetterHeaders } from '../../src/app/dead-letter-headers.js';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { brokerUrls } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { LedgerUnavailableError, openSqliteLedger, type LedgerStore } from '../../src/ledger/index.js';
import { gatewayConsumers } from '../../src/adapters/rabbitmq/consumer.js';
import type { AppDeps } from '../../src/app/ports.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { mesEvent } from '../fixtures/mes-events.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';

type Recorder = 'recordCommand' | 'recordMesEvent' | 'recordCrmFact';
const orderOf = (input: { orderId?: string; fields?: { orderId: string } }) =>
  input.orderId ?? input.fields?.orderId ?? '';

/**
 * The real ledger with a fault injected for chosen orders: a bug the message triggers (BOOM-*),
 * or the ledger unavailable for the first attempt (DOWN-*).
 */
function faultyLedger(ledger: LedgerStore, unavailableOnce: Set<string>): LedgerStore {
  const recorders = new Set<string>(['recordCommand', 'recordMesEvent', 'recordCrmFact']);
  return new Proxy(ledger, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!recorders.has(String(key))) return value.bind(target);
      return async (input: Parameters<LedgerStore[Recorder]>[0], now: number) => {
        const orderId = orderOf(input as { orderId?: string });
        if (orderId.startsWith('BOOM'))
          throw new TypeError(`injected: cannot read properties of undefined (order ${orderId})`);
        if (unavailableOnce.delete(orderId)) throw new LedgerUnavailableError(new Error('SQLITE_BUSY: injected'));
        return (value as (i: unknown, n: number) => Promise<unknown>).call(target, input, now);
      };
    },
  });
}

t.test(
  'an error the message causes dead-letters it once with handler_error on every input; an unavailable ledger requeues',
  async (t) => {
    const vhost = await createVhost('ob-handler-errors');
    const env = testConfig({ amqpUrl: vhost.url });
    const { config } = env;
    const { exchanges, queues } = config.gateway.amqp;
    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(config) });
    const metrics = createMetrics();
    const broker = new Broker({
      urls: brokerUrls(config.gateway.amqp),
      amqp: config.gateway.amqp,
      logger: silentLogger,
      metrics,
    });
    await broker.start();
    const peer = await amqpPeer(vhost.url);
    t.teardown(async () => {
      await peer.close();
      await broker.close();
      await ledger.close();
      await vhost.remove();
      env.remove();
    });
    const deps: AppDeps = {
      ledger: faultyLedger(ledger, new Set(['DOWN-1'])),
      publisher: broker,
      config,
      clock: Date.now,
      logger: silentLogger,
      metrics,
    };
    for (const { queue, handle } of gatewayConsumers(deps)) await broker.consume(queue, handle);
    const deadLetters = await peer.collect(queues.deadLetter);
    const toMes = await peer.collect(queues.mesCommands);

    const sentAt = new Date().toISOString();
    const create = (orderId: string) => ({
      messageId: `crm-${orderId}`,
      type: 'order.create',
      sentAt,
      orderId,
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    });
    await peer.publish(exchanges.crmCommands, 'order.create', create('BOOM-1'));
    await peer.publish(
      exchanges.mesEvents,
      'ORDER_STATE_CHANGED',
      mesEvent('IN_PRODUCTION', { eventId: 'ev-boom-2', orderId: 'BOOM-2' }),
    );
    await peer.publish(exchanges.crmEvents, 'order.delivered', {
      messageId: 'fact-boom-3',
      type: 'order.delivered',
      orderId: 'BOOM-3',
      occurredAt: sentAt,
    });
    await peer.publish(exchanges.crmCommands, 'order.create', create('DOWN-1'));
    await peer.publish(exchanges.crmCommands, 'order.create', create('G-1'));

    await waitFor(
      () => deadLetters.length === 3 && toMes.length === 2,
      10_000,
      'three dead letters and two forwarded orders',
    );
    t.same(
      deadLetters.map((d) => d.message.properties.headers?.[deadLetterHeaders.reason]),
      ['handler_error', 'handler_error', 'handler_error'],
      'each with reason handler_error',
    );
    t.same(
      deadLetters.map((d) => d.message.fields.routingKey).sort(),
      ['crm.command', 'crm.fact', 'mes.event'],
      'one from each input',
    );
    for (const letter of deadLetters)
      t.match(
        String(letter.message.properties.headers?.[deadLetterHeaders.error]),
        /^TypeError: injected/,
        'the error travels with it',
      );

    const rows = ledger.db
      .prepare(
        `SELECT channel, state, reason, deliveries, order_id AS orderId FROM messages WHERE state = 'invalid' ORDER BY channel`,
      )
      .all();
    t.match(
      rows,
      [
        { channel: 'crm.command', reason: /^handler_error: TypeError: injected/, deliveries: 1, orderId: 'BOOM-1' },
        { channel: 'crm.fact', reason: /^handler_error/, deliveries: 1, orderId: 'BOOM-3' },
        { channel: 'mes.event', reason: /^handler_error/, deliveries: 1 },
      ],
      'each recorded in the ledger, delivered once',
    );
    const counted = (await metrics.deadLetters.get()).values
      .filter((v) => v.labels.reason === 'handler_error')
      .reduce((sum, v) => sum + v.value, 0);
    t.equal(counted, 3, 'counted in orderbridge_dead_letters_total');

    const consumed = (await metrics.messagesConsumed.get()).values;
    t.equal(
      consumed.filter((v) => v.labels.outcome === 'requeue').reduce((sum, v) => sum + v.value, 0),
      1,
      'only the ledger fault was requeued',
    );
    t.equal(
      (await metrics.redeliveries.get()).values.reduce((sum, v) => sum + v.value, 0),
      1,
      'and redelivered once; nothing the messages caused came back',
    );
    t.same(
      toMes.map((m) => (m.body as { body: { externalRef: string } }).body.externalRef).sort(),
      ['DOWN-1', 'G-1'],
      'the requeued order and the good one reached the MES',
    );
  },
);
