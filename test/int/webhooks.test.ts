import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import {
  enqueue,
  WebhookDispatcher,
  type ResolveAll,
  type WebhookEndpoint,
  type WebhookSettings,
} from '../../src/adapters/webhooks/index.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import type { OrderEvent } from '../../src/contracts/generated/external/order-event.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { mesEvent } from '../fixtures/mes-events.js';
import { testConfig } from '../helpers/gateway-config.js';
import { testEachDriver, type TestLedgerDriver } from '../helpers/ledger-drivers.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

async function setup(t: Test, driver: TestLedgerDriver) {
  const env = testConfig();
  const dispatchers: WebhookDispatcher[] = [];
  // Registered first, so it runs before the ledger closes.
  t.teardown(async () => {
    for (const d of dispatchers) await d.stop();
  });
  t.teardown(env.remove);
  const { ledger, rows } = await driver.open(t, env.config);
  const store = ledger.webhooks;

  /** An order of `partner` taken by the MES: its order events (acknowledged, status_changed) exactly as the ledger queued them. */
  async function orderEvents(orderId: string, partner = 'shop'): Promise<OrderEvent[]> {
    const mesId = mesCommandId(`crm-${orderId}`);
    const sentAt = new Date().toISOString();
    await ledger.recordCommand(
      {
        crmMessageId: `crm-${orderId}`,
        type: 'order.create',
        orderId,
        partner,
        sentAt,
        mes: { messageId: mesId, routingKey: 'CREATE_ORDER', payload: '{}' },
      },
      Date.now(),
    );
    const read = readMesEvent(
      mesEvent('ACCEPTED', { eventId: `ev-${orderId}`, orderId, correlationId: mesId, at: sentAt }),
      env.config.dialect.events,
    );
    if (!read.ok) throw new Error(read.problems.join());
    const result = await ledger.recordMesEvent(
      { fields: read.fields, translation: translate(read.fields, env.config.dialect.states), type: 'ORDER_ACCEPTED' },
      Date.now(),
    );
    if (result.kind !== 'recorded' || !result.publish.length)
      throw new Error(`no order events: ${JSON.stringify(result)}`);
    return result.publish.map((m) => JSON.parse(m.payload) as OrderEvent);
  }

  function dispatcher(
    settings: Partial<WebhookSettings> & Pick<WebhookSettings, 'endpoints'>,
    extra: { resolve?: ResolveAll; logger?: ReturnType<typeof createLogger> } = {},
  ) {
    const d = new WebhookDispatcher({
      store,
      settings: { timeoutMs: 2000, maxConcurrent: 8, schedule: [100, 200, 400], ...settings },
      // The top of every step: waits are as long as the schedule allows, so they can be measured.
      random: () => 0.999,
      ...extra,
    });
    dispatchers.push(d);
    return d;
  }

  const journal = async (orderId: string) =>
    (
      await rows<{ message_row: number | null; detail: string }>(
        `SELECT message_row, detail FROM journal WHERE order_id = '${orderId}' AND kind = 'webhook_attempt' ORDER BY id`,
      )
    ).map(
      (row): Record<string, unknown> => ({
        messageRow: row.message_row,
        ...(JSON.parse(row.detail) as Record<string, unknown>),
      }),
    );

  return { ledger, store, rows, orderEvents, dispatcher, journal };
}

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A partner's receiver on loopback; `answer` decides each response (n counts from 1). */
async function receiver(t: Test, answer: (n: number, res: ServerResponse, req: Received) => void) {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      answer(received.length, res, r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  return { received, port, url: `http://127.0.0.1:${port}/hooks/orders`, maxInFlight: () => maxInFlight };
}

const reply =
  (status: number, headers: Record<string, string> = {}) =>
  (_n: number, res: ServerResponse) =>
    res.writeHead(status, headers).end();

/** Ticks the dispatcher until `done` holds; fails after `withinMs`. */
async function until(t: Test, d: WebhookDispatcher, done: () => boolean | Promise<boolean>, withinMs = 5000) {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      t.fail(`not done within ${withinMs} ms`);
      return;
    }
    await d.tick();
    await delay(10);
  }
  await d.idle();
}

const endpoint = (partner: string, url: string, more: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  partner,
  url,
  secret: newSecret(),
  allowPrivateTargets: true,
  ...more,
});

testEachDriver(
  t,
  'failed attempts are retried with backoff until a 2xx, signed afresh with the same webhook-id; every attempt is journalled',
  async (t, driver) => {
    const { store, orderEvents, dispatcher, journal, ledger } = await setup(t, driver);
    const answers = [reply(500), reply(429, { 'retry-after': '0' }), reply(204)];
    const partner = await receiver(t, (n, res) => answers[n - 1]!(n, res));
    const shop = endpoint('shop', partner.url);
    const [event] = await orderEvents('W-1');
    t.equal(await enqueue(store, 'shop', [shop], event!, Date.now()), 1);
    const d = dispatcher({ endpoints: [shop] });
    await until(t, d, async () => (await store.deliveries({ eventId: event!.id }))[0]?.state === 'delivered');

    t.equal(partner.received.length, 3, 'three attempts');
    const verifier = new Webhook(shop.secret);
    for (const r of partner.received) {
      t.equal(r.headers['webhook-id'], event!.id, 'webhook-id is the CloudEvent id on every attempt');
      t.same(
        verifier.verify(r.body, r.headers as Record<string, string>),
        event,
        'the receiver verifies the signature and gets the CloudEvent',
      );
      t.equal(r.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
    }
    t.equal(new Set(partner.received.map((r) => r.body)).size, 1, 'the same bytes every time');
    const gaps = partner.received.slice(1).map((r, i) => r.at - partner.received[i]!.at);
    t.ok(gaps[0]! >= 90, `first retry after ~100 ms (${gaps[0]} ms)`);
    t.ok(gaps[1]! >= 180, `second retry after ~200 ms (${gaps[1]} ms)`);

    t.match(await store.deliveries({ eventId: event!.id }), [
      {
        state: 'delivered',
        attempts: 3,
        lastStatus: 204,
        nextAttemptAt: null,
        endpoint: partner.url,
        partner: 'shop',
        orderId: 'W-1',
      },
    ]);
    const attempts = await journal('W-1');
    t.match(attempts, [
      {
        eventId: event!.id,
        partner: 'shop',
        endpoint: partner.url,
        attempt: 1,
        status: 500,
        outcome: 'pending',
        nextAttemptAt: String,
      },
      { attempt: 2, status: 429, outcome: 'pending' },
      { attempt: 3, status: 204, outcome: 'delivered' },
    ]);
    t.ok(
      attempts.every((a) => typeof a.durationMs === 'number' && a.messageRow !== null),
      'each with its duration, linked to the order event row',
    );
    const timeline = await ledger.timeline('W-1');
    t.equal(timeline.filter((e) => e.kind === 'webhook_attempt').length, 3, 'the order timeline shows every attempt');
  },
);

testEachDriver(
  t,
  'enqueue is idempotent per endpoint and event, and only for the partner’s endpoints that take the type',
  async (t, driver) => {
    const { store, orderEvents } = await setup(t, driver);
    const events = await orderEvents('W-2');
    const endpoints = [
      endpoint('shop', 'https://a.example/hook'),
      endpoint('shop', 'https://b.example/hook', { eventTypes: ['dev.orderbridge.order.status_changed'] }),
      endpoint('other', 'https://c.example/hook'),
    ];
    let created = 0;
    for (const event of events) created += await enqueue(store, 'shop', endpoints, event, Date.now());
    t.equal(created, 3, 'acknowledged → a; status_changed → a and b; nothing for the other partner');
    for (const event of events)
      t.equal(await enqueue(store, 'shop', endpoints, event, Date.now()), 0, 'again: nothing new');
    t.equal((await store.deliveries({ orderId: 'W-2' })).length, 3);
  },
);

testEachDriver(
  t,
  '410 Gone disables the endpoint and its pending deliveries; other endpoints carry on; enabling takes new events again',
  async (t, driver) => {
    const { store, orderEvents, dispatcher, journal } = await setup(t, driver);
    const gone = await receiver(t, reply(410));
    const fine = await receiver(t, reply(200));
    const endpoints = [endpoint('shop', gone.url), endpoint('shop', fine.url)];
    const events = [...(await orderEvents('W-3')), ...(await orderEvents('W-4'))];
    for (const event of events) await enqueue(store, 'shop', endpoints, event, Date.now());
    const d = dispatcher({ endpoints, maxConcurrentPerEndpoint: 1 });
    await until(t, d, async () =>
      (await store.deliveries({ endpoint: fine.url })).every((x) => x.state === 'delivered'),
    );
    await until(t, d, async () => (await store.deliveries({ endpoint: gone.url })).every((x) => x.state !== 'pending'));

    t.equal(gone.received.length, 1, 'one 410 is enough: nothing more goes to that endpoint');
    t.equal(fine.received.length, events.length);
    t.match(await store.disabledEndpoints(), [{ endpoint: gone.url, partner: 'shop', reason: /410 Gone/ }]);
    const goneDeliveries = await store.deliveries({ endpoint: gone.url });
    t.same(
      goneDeliveries.map((x) => x.state),
      events.map(() => 'disabled'),
    );
    t.equal(goneDeliveries.filter((x) => x.lastStatus === 410).length, 1);
    t.match(
      [...(await journal('W-3')), ...(await journal('W-4'))].filter((a) => a.endpoint === gone.url),
      [{ status: 410, outcome: 'disabled' }],
    );

    const [later] = await orderEvents('W-5');
    t.equal(await enqueue(store, 'shop', endpoints, later!, Date.now()), 2);
    t.match(
      await store.deliveries({ eventId: later!.id, endpoint: gone.url }),
      [{ state: 'disabled', lastError: /endpoint disabled: .*410/ }],
      'new events for it are recorded, not sent',
    );
    await until(
      t,
      d,
      async () => (await store.deliveries({ eventId: later!.id, endpoint: fine.url }))[0]?.state === 'delivered',
    );
    t.equal(gone.received.length, 1);

    t.equal(await store.enableEndpoint(gone.url), true);
    const [after] = await orderEvents('W-6');
    await enqueue(store, 'shop', endpoints, after!, Date.now());
    t.match(
      await store.deliveries({ eventId: after!.id, endpoint: gone.url }),
      [{ state: 'pending' }],
      'after an operator enables it, new events go out again',
    );
  },
);

testEachDriver(t, 'after the last scheduled attempt the delivery is failed', async (t, driver) => {
  const { store, orderEvents, dispatcher, journal } = await setup(t, driver);
  const down = await receiver(t, (_n, res) => res.writeHead(503).end('maintenance until tomorrow'));
  const shop = endpoint('shop', down.url);
  const [event] = await orderEvents('W-7');
  await enqueue(store, 'shop', [shop], event!, Date.now());
  const d = dispatcher({ endpoints: [shop], schedule: [20, 40] });
  await until(t, d, async () => (await store.deliveries({ eventId: event!.id }))[0]?.state === 'failed');
  t.equal(down.received.length, 3, 'the first attempt and one per step');
  t.match(await store.deliveries({ eventId: event!.id }), [
    { state: 'failed', attempts: 3, lastStatus: 503, lastError: 'maintenance until tomorrow', nextAttemptAt: null },
  ]);
  t.match(
    (await journal('W-7')).map((a) => a.outcome),
    ['pending', 'pending', 'failed'],
  );
  t.match((await journal('W-7'))[2], { status: 503, error: 'maintenance until tomorrow' });
});

testEachDriver(
  t,
  'a receiver that never answers costs one timeout per attempt; an endless answer is read only up to the limit',
  async (t, driver) => {
    const { store, orderEvents, dispatcher, journal } = await setup(t, driver);
    const silent = await receiver(t, () => undefined);
    const chatty = await receiver(t, (_n, res) => {
      res.writeHead(500);
      const spew = () => {
        if (!res.destroyed) res.write('x'.repeat(64 * 1024), () => setImmediate(spew));
      };
      spew();
    });
    const endpoints = [endpoint('shop', silent.url), endpoint('shop', chatty.url)];
    const [event] = await orderEvents('W-8');
    await enqueue(store, 'shop', endpoints, event!, Date.now());
    const d = dispatcher({ endpoints, timeoutMs: 300, schedule: [] });
    const started = Date.now();
    await until(t, d, async () => (await store.deliveries({ orderId: 'W-8' })).every((x) => x.state === 'failed'));
    t.ok(Date.now() - started < 2000, `both done in ${Date.now() - started} ms`);
    const bySilent = (await journal('W-8')).find((a) => a.endpoint === silent.url)!;
    t.match(bySilent, { error: 'timeout after 300 ms', outcome: 'failed' });
    t.ok(
      (bySilent.durationMs as number) >= 290 && (bySilent.durationMs as number) < 1000,
      `the attempt took ${String(bySilent.durationMs)} ms`,
    );
    const byChatty = (await journal('W-8')).find((a) => a.endpoint === chatty.url)!;
    t.match(byChatty, { status: 500, outcome: 'failed' });
    t.equal((byChatty.error as string).length, 512, 'the answer is kept only up to 512 bytes');
  },
);

testEachDriver(
  t,
  'concurrency is bounded overall and per endpoint: a hanging endpoint does not hold back the others',
  async (t, driver) => {
    const { store, orderEvents, dispatcher } = await setup(t, driver);
    const hanging = await receiver(t, () => undefined);
    const slowButFine = await receiver(t, (_n, res) => setTimeout(() => res.writeHead(200).end(), 50));
    const endpoints = [endpoint('shop', hanging.url), endpoint('shop', slowButFine.url)];
    for (let i = 0; i < 8; i++)
      for (const event of await orderEvents(`W-C${i}`)) await enqueue(store, 'shop', endpoints, event, Date.now());
    const d = dispatcher({ endpoints, maxConcurrent: 4, maxConcurrentPerEndpoint: 2, timeoutMs: 1500 });
    let maxActive = 0;
    await until(
      t,
      d,
      async () => {
        maxActive = Math.max(maxActive, d.active);
        return (await store.deliveries({ endpoint: slowButFine.url })).every((x) => x.state === 'delivered');
      },
      3000,
    );
    t.equal(slowButFine.received.length, 16, 'all 16 delivered while the other endpoint hangs');
    t.ok(slowButFine.maxInFlight() <= 2, `at most 2 at once to one endpoint (saw ${slowButFine.maxInFlight()})`);
    t.equal(hanging.received.length, 2, 'the hanging endpoint holds only its own 2 slots');
    t.ok(maxActive <= 4, `at most 4 attempts in flight (saw ${maxActive})`);
  },
);

testEachDriver(
  t,
  'the guard refuses loopback, private and metadata targets unless allowed, before any connection',
  async (t, driver) => {
    const { store, orderEvents, dispatcher, journal } = await setup(t, driver);
    const local = await receiver(t, reply(200));
    const refusedUrls = [
      local.url,
      `http://localhost:${local.port}/hooks/orders`,
      `http://[::1]:${local.port}/hooks/orders`,
      'http://10.1.2.3/hooks',
      'http://169.254.169.254/latest/meta-data/',
    ];
    const endpoints = refusedUrls.map((url) => endpoint('shop', url, { allowPrivateTargets: false }));
    const [event] = await orderEvents('W-9');
    await enqueue(store, 'shop', endpoints, event!, Date.now());
    const d = dispatcher({ endpoints, schedule: [] });
    await until(t, d, async () => (await store.deliveries({ orderId: 'W-9' })).every((x) => x.state === 'failed'));
    t.equal(local.received.length, 0, 'nothing reached the loopback receiver');
    const errors = (await journal('W-9')).map((a) => a.error as string);
    t.equal(errors.length, refusedUrls.length);
    for (const e of errors) t.match(e, /^target refused: .*refused range/);
    t.match(
      errors.find((e) => e.includes('localhost')),
      /localhost resolves to .*loopback/,
    );
    t.match(
      errors.find((e) => e.includes('169.254.169.254')),
      /cloud metadata/,
    );

    // The same targets, allowed for the whole gateway (as for an on-premise partner).
    const [allowed] = await orderEvents('W-10');
    const allowedEndpoints = [
      endpoint('shop', local.url, { allowPrivateTargets: undefined }),
      endpoint('shop', `http://localhost:${local.port}/hooks/orders`, { allowPrivateTargets: undefined }),
    ];
    await enqueue(store, 'shop', allowedEndpoints, allowed!, Date.now());
    const d2 = dispatcher({ endpoints: allowedEndpoints, allowPrivateTargets: true });
    await until(t, d2, async () => (await store.deliveries({ orderId: 'W-10' })).every((x) => x.state === 'delivered'));
    t.equal(local.received.length, 2);
  },
);

testEachDriver(
  t,
  'the request goes to the address the guard checked, with the name in Host: the name is resolved once per attempt',
  async (t, driver) => {
    const { store, orderEvents, dispatcher } = await setup(t, driver);
    const partner = await receiver(t, (n, res) => res.writeHead(n === 1 ? 500 : 200).end());
    let lookups = 0;
    // partner.test cannot resolve through the system (.test is reserved): only the pinned address can be reached.
    const resolve: ResolveAll = async (hostname) => {
      lookups += 1;
      if (hostname !== 'partner.test') throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const shop = endpoint('shop', `http://partner.test:${partner.port}/hooks?token=abc`);
    const [event] = await orderEvents('W-11');
    await enqueue(store, 'shop', [shop], event!, Date.now());
    const d = dispatcher({ endpoints: [shop], schedule: [10] }, { resolve });
    await until(t, d, async () => (await store.deliveries({ eventId: event!.id }))[0]?.state === 'delivered');
    t.equal(partner.received.length, 2);
    t.equal(partner.received[0]!.headers.host, `partner.test:${partner.port}`);
    t.equal(lookups, 2, 'one resolution per attempt, none by the connection itself');
  },
);

testEachDriver(t, 'secrets and URL tokens never reach the logs or the journal', async (t, driver) => {
  const { store, orderEvents, dispatcher, rows } = await setup(t, driver);
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const down = await receiver(t, reply(500));
  const shop = endpoint('shop', `${down.url}?token=tok-1234567890`);
  const refused = endpoint('shop', 'http://10.9.8.7/hook?token=tok-0987654321', { allowPrivateTargets: false });
  const [event] = await orderEvents('W-12');
  await enqueue(store, 'shop', [shop, refused], event!, Date.now());
  const d = dispatcher({ endpoints: [shop, refused], schedule: [10] }, { logger });
  await until(t, d, async () => (await store.deliveries({ orderId: 'W-12' })).every((x) => x.state === 'failed'));
  t.ok(lines.length >= 4, `${lines.length} log lines`);
  const journalText = (await rows<{ detail: string }>(`SELECT detail FROM journal WHERE kind = 'webhook_attempt'`))
    .map((row) => row.detail)
    .join('\n');
  for (const text of [lines.join('\n'), journalText]) {
    for (const secret of [shop.secret, refused.secret, shop.secret.slice(6), 'tok-1234567890', 'tok-0987654321'])
      t.notOk(text.includes(secret), `no ${secret.slice(0, 9)}…`);
  }
});
