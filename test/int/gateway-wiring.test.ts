import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { waitFor } from '../helpers/amqp-peer.js';
import type { Ledger } from '../../src/ledger/index.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { listenLoopback, webhookReceiver } from '../helpers/loopback-http.js';
import { mesEvent } from '../fixtures/mes-events.js';

const keyOf = () => randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const keys = { alpha: keyOf(), beta: keyOf(), ops: keyOf() };
const secret = `whsec_${randomBytes(32).toString('base64')}`;

async function setup(t: Test, mesApiUrl: string, webhookUrl?: string) {
  const { gateway, peer, amqp } = await startTestGateway(t, {
    gateway: {
      mesApi: { baseUrl: mesApiUrl },
      partners: [
        {
          id: 'alpha',
          name: 'Alpha',
          apiKeySha256: sha256(keys.alpha),
          requestsPerSecond: 1000,
          ...(webhookUrl
            ? { webhooks: [{ url: webhookUrl, secretEnv: 'ALPHA_WEBHOOK_SECRET', allowPrivateTargets: true }] }
            : {}),
        },
        { id: 'beta', name: 'Beta', apiKeySha256: sha256(keys.beta), requestsPerSecond: 1000 },
        { id: 'ops', name: 'Plant operators', apiKeySha256: sha256(keys.ops), role: 'operator' },
      ],
      webhooks: { checkInterval: '100ms', retrySchedule: ['100ms'] },
    },
    secrets: { ALPHA_WEBHOOK_SECRET: secret },
  });
  const { exchanges, queues } = amqp;
  const toMes = await peer.collect(queues.mesCommands);
  const get = (path: string, key: string) =>
    fetch(`http://127.0.0.1:${gateway.http.port}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const createOrder = async (orderId: string, partner: string) => {
    await peer.publish(exchanges.crmCommands, 'order.create', {
      messageId: `crm-${orderId}`,
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId,
      partner,
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    });
    await waitFor(
      () => toMes.some((m) => (m.body as { body: { externalRef: string } }).body.externalRef === orderId),
      5000,
      `${orderId} forwarded`,
    );
  };
  const mesSays = (orderId: string, state: string, eventId: string) =>
    peer.publish(
      exchanges.mesEvents,
      'ORDER_STATE_CHANGED',
      mesEvent(state, {
        orderId,
        eventId,
        at: new Date().toISOString(),
        ...(state === 'ACCEPTED' ? { correlationId: mesCommandId(`crm-${orderId}`) } : {}),
      }),
    );
  return { gateway, get, createOrder, mesSays };
}

t.test(
  'cached MES reads: a hit costs no MES call, an MES event ends the entry, partners see only their own',
  async (t) => {
    const calls: string[] = [];
    const states = new Map<string, string>();
    const mesApi = await listenLoopback(t, (req) => {
      calls.push(req.url ?? '');
      const ref = new URL(req.url ?? '/', 'http://x').searchParams.get('externalRef') ?? '';
      if (req.url?.startsWith('/worklist')) return { status: 200, body: '{"items":[]}' };
      return states.has(ref)
        ? { status: 200, body: JSON.stringify({ externalRef: ref, state: states.get(ref) }) }
        : { status: 404 };
    });
    const { get, createOrder, mesSays, gateway } = await setup(t, mesApi);
    await createOrder('W-1', 'alpha');
    states.set('W-1', 'CUTTING');
    const first = await get('/mes/orders/W-1', keys.alpha);
    t.equal(first.status, 200);
    t.match(first.headers.get('cache-status'), /fwd=miss/);
    const second = await get('/mes/orders/W-1', keys.alpha);
    t.match(second.headers.get('cache-status'), /hit/);
    t.equal(calls.length, 1, 'one MES call for two reads');

    states.set('W-1', 'WELDING');
    await mesSays('W-1', 'WELDING', 'ev-w1-welding');
    await waitFor(
      async () => (await gateway.ledger.getOrder('W-1'))?.state.status === 'in_production',
      5000,
      'the event consumed',
    );
    const third = await get('/mes/orders/W-1', keys.alpha);
    t.match(await third.json(), { state: 'WELDING' }, 'fresh after the MES event, long before the TTL');
    t.equal(calls.length, 2);

    t.equal((await get('/mes/orders/W-1', keys.beta)).status, 404, "another partner's order is not found");
    t.equal((await get('/mes/orders/W-1', keys.ops)).status, 200, 'operators read every order');
    t.equal((await get('/mes/worklist', keys.alpha)).status, 403, 'work lists are for operators');
    t.equal((await get('/mes/worklist', keys.ops)).status, 200);
    const unknown = await get('/mes/work-list', keys.ops);
    t.equal(unknown.status, 404, 'an unknown MES route name is not found');
    t.match(
      await unknown.json(),
      { type: /no-route$/, detail: /the configured ones are: worklist\./ },
      'and the answer names the configured ones',
    );
    t.equal((await get('/mes/work-list', keys.alpha)).status, 403, 'to operators only');
    t.equal((await get('/mes/orders/W-1/extra', keys.ops)).status, 404);
  },
);

t.test("a partner's order events reach its webhook, signed per Standard Webhooks", async (t) => {
  const { posts: received, url: webhookUrl } = await webhookReceiver(t);
  const mesApi = await listenLoopback(t, () => ({ status: 404 }));
  const { gateway, createOrder, mesSays } = await setup(t, mesApi, webhookUrl);
  await createOrder('H-1', 'alpha');
  await createOrder('H-2', 'beta');
  await mesSays('H-1', 'ACCEPTED', 'ev-h1');
  await mesSays('H-2', 'ACCEPTED', 'ev-h2');
  // Deliveries are queued with the order's status change, in its transaction: once both orders are
  // accepted every delivery there will be is in the ledger, and once none is pending every POST
  // made has reached the receiver.
  for (const orderId of ['H-1', 'H-2'])
    await waitFor(
      async () => (await gateway.ledger.getOrder(orderId))?.state.status === 'accepted',
      10_000,
      `${orderId} accepted`,
    );
  const deliveries = () => (gateway.ledger as Ledger).webhooks.deliveries({});
  await waitFor(
    async () => (await deliveries()).every((d) => d.state === 'delivered'),
    10_000,
    'every webhook delivery made',
  );
  const verifier = new Webhook(secret);
  const events = received.map(
    (r) =>
      verifier.verify(r.body, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      }) as { subject: string; type: string },
  );
  t.same(
    events.map((e) => e.subject),
    ['H-1', 'H-1'],
    "only alpha's order, every delivery verified",
  );
  t.same(events.map((e) => e.type).sort(), [
    'dev.orderbridge.order.acknowledged',
    'dev.orderbridge.order.status_changed',
  ]);
});
