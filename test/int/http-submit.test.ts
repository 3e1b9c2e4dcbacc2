import t, { type Test } from 'tap';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { validatorFor } from '../../src/contracts/validate.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { checkOneOrderAccepted } from '../helpers/idempotent-posts.js';

const keyOf = () => randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const keys = { alpha: keyOf(), beta: keyOf() };
const validPartnerOrder = validatorFor('crmPartnerOrder');
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers; the contracts validators check their shape.
const json = async (response: Response): Promise<any> => response.json();
const order = {
  reference: 'PO-4711',
  customer: { id: 'C-9', name: 'Müller GmbH' },
  lines: [{ sku: 'FLANGE-80', quantity: 12 }],
  priority: 'rush',
};

async function setup(t: Test, clock?: () => number) {
  const { gateway, peer, amqp } = await startTestGateway(t, {
    gateway: {
      partners: [
        { id: 'alpha', name: 'Alpha', apiKeySha256: sha256(keys.alpha), requestsPerSecond: 10_000 },
        { id: 'beta', name: 'Beta', apiKeySha256: sha256(keys.beta), requestsPerSecond: 10_000 },
      ],
    },
    ...(clock ? { clock } : {}),
  });
  const { queues, exchanges } = amqp;
  const toCrm = await peer.collect(queues.crmPartnerOrders);
  const toMes = await peer.collect(queues.mesCommands);
  const post = (body: unknown, headers: Record<string, string>, partnerKey = keys.alpha) =>
    fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { authorization: `Bearer ${partnerKey}`, 'content-type': 'application/json', ...headers },
    });
  const get = (path: string, partnerKey = keys.alpha) =>
    fetch(`http://127.0.0.1:${gateway.http.port}${path}`, { headers: { authorization: `Bearer ${partnerKey}` } });
  // Every 202 was answered after its message to the CRM was confirmed (a replay or a refusal sends
  // none): once the answers are in, a fence makes toCrm exact.
  const allToCrm = async () => {
    await peer.fence(queues.crmPartnerOrders);
    return toCrm.length;
  };
  return { gateway, post, get, toCrm, allToCrm, toMes, peer, exchanges };
}

t.test('a POSTed order becomes a ledgered message to the CRM and is visible at once', async (t) => {
  const { post, get, toCrm, toMes, peer, exchanges } = await setup(t);
  const response = await post(order, { 'idempotency-key': randomUUID() });
  t.equal(response.status, 202);
  const created = await json(response);
  t.match(created, { partner: 'alpha', status: 'received', attention: null });
  t.equal(response.headers.get('location'), `/v1/orders/${created.id}`);
  await waitFor(() => toCrm.length === 1, 5000, 'the message to the CRM');
  t.ok(validPartnerOrder(toCrm[0]!.body).ok, 'valid against contracts/crm/partner-order.schema.json');
  t.match(toCrm[0]!.body, {
    type: 'partner.order.requested',
    orderId: created.id,
    partner: 'alpha',
    reference: 'PO-4711',
  });
  t.match(await json(await get(`/v1/orders/${created.id}`)), { id: created.id, status: 'received' });

  // The CRM then creates it under the same id: that is the expected answer, not a duplicate.
  await peer.publish(exchanges.crmCommands, 'order.create', {
    messageId: 'crm-create-1',
    type: 'order.create',
    sentAt: new Date().toISOString(),
    orderId: created.id,
    partner: 'alpha',
    customer: order.customer,
    lines: order.lines,
  });
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  t.match(toMes[0]!.body, { body: { externalRef: created.id } });
});

t.test('Idempotency-Key: required, replayed, refused for another body, scoped per partner', async (t) => {
  const { post, allToCrm } = await setup(t);
  const missing = await post(order, {});
  t.equal(missing.status, 400);
  t.match(await json(missing), { errors: [{ pointer: '/headers/Idempotency-Key', fix: /unique key/ }] });

  const key = randomUUID();
  const first = await post(order, { 'idempotency-key': key });
  const firstBody = await first.text();
  const again = await post({ ...order, lines: order.lines, customer: order.customer }, { 'idempotency-key': key });
  t.equal(again.status, 202);
  t.equal(await again.text(), firstBody, 'the original response');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  const reordered = await post(
    JSON.stringify({ priority: 'rush', lines: order.lines, customer: order.customer, reference: 'PO-4711' }),
    { 'idempotency-key': key },
  );
  t.equal(reordered.status, 202, 'the same body with its fields in another order is the same body');
  const other = await post({ ...order, reference: 'PO-4712' }, { 'idempotency-key': key });
  t.equal(other.status, 422);
  t.match(await json(other), { type: /idempotency-key-reused/ });
  const beta = await post(order, { 'idempotency-key': key }, keys.beta);
  t.equal(beta.status, 202, 'another partner may use the same key');
  t.not((await json(beta)).id, JSON.parse(firstBody).id);
  t.equal(await allToCrm(), 2, 'one message per partner, none for the replays');
});

t.test(
  'Idempotency-Key is a Structured Field String: "K" and the same key unquoted are one key; a malformed one is a 400 naming the header',
  async (t) => {
    const { post, allToCrm } = await setup(t);
    const key = randomUUID();
    const quoted = await post(order, { 'idempotency-key': `"${key}"` });
    t.equal(quoted.status, 202);
    const { id } = await json(quoted);
    for (const [label, value] of [
      ['unquoted', key],
      ['with spaces around it', `  "${key}" `],
      ['with a parameter', `"${key}";v=1`],
    ] as const) {
      const again = await post(order, { 'idempotency-key': value });
      t.equal(again.status, 202, label);
      t.equal(again.headers.get('idempotent-replayed'), 'true', `${label}: a replay of the quoted key`);
      t.equal((await json(again)).id, id, `${label}: the same order`);
    }
    t.equal(
      (await post({ ...order, reference: 'PO-4712' }, { 'idempotency-key': key })).status,
      422,
      'unquoted, it is the same key: another body is refused',
    );
    t.equal((await post(order, { 'idempotency-key': '"K"' })).status, 202);
    t.equal(
      (await post(order, { 'idempotency-key': 'K' })).headers.get('idempotent-replayed'),
      'true',
      '"K" then K: one order',
    );

    for (const value of ['"unterminated', '"one", "two"', 'two words', 'a,b', '""', `"${'x'.repeat(129)}"`, '?1']) {
      const refused = await post(order, { 'idempotency-key': value });
      t.equal(refused.status, 400, value);
      t.equal(refused.headers.get('content-type'), 'application/problem+json');
      t.match(
        await json(refused),
        { type: /validation/, errors: [{ pointer: '/headers/Idempotency-Key', fix: /double quotes/ }] },
        `${value}: the header and the fix named`,
      );
    }
    t.equal(await allToCrm(), 2, 'two keys, two orders: none for the replays or the refused');
  },
);

t.test('100 concurrent identical POSTs make exactly one order for the CRM', async (t) => {
  const { post, allToCrm } = await setup(t);
  const key = randomUUID();
  const responses = await Promise.all(Array.from({ length: 100 }, () => post(order, { 'idempotency-key': key })));
  await checkOneOrderAccepted(t, responses);
  t.equal(await allToCrm(), 1, 'exactly one message to the CRM');
});

t.test('fields the gateway owns cannot be assigned', async (t) => {
  const { post, allToCrm } = await setup(t);
  const response = await post(
    { ...order, id: 'MINE-1', status: 'shipped', partner: 'beta' },
    { 'idempotency-key': randomUUID() },
  );
  t.equal(response.status, 400);
  const pointers = (await json(response)).errors.map((e: { pointer: string }) => e.pointer).sort();
  t.same(pointers, ['/body/id', '/body/partner', '/body/status']);
  const notJson = await post('{"reference":', { 'idempotency-key': randomUUID() });
  t.equal(notJson.status, 400);
  t.equal(await allToCrm(), 0);
});

t.test('a key left in flight by a crash is answered after 30 s, from the order the first request made', async (t) => {
  let now = Date.now();
  const { gateway, post: postWith } = await setup(t, () => now);
  // The process "dies" after the order is ledgered and before its answer is stored.
  const finish = gateway.ledger.finishIdempotencyKey.bind(gateway.ledger);
  let crash = true;
  gateway.ledger.finishIdempotencyKey = (...args) => (crash ? Promise.reject(new Error('killed')) : finish(...args));
  const post = () => postWith(order, { 'idempotency-key': 'key-of-a-crash' });
  t.equal((await post()).status, 500, 'the first request dies before answering');
  crash = false;
  t.equal((await post()).status, 409, 'right after: still in flight as far as anyone can tell');
  now += 30_000;
  const late = await post();
  t.equal(late.status, 202, 'after 30 s: answered from what the first request did');
  t.equal(late.headers.get('idempotent-replayed'), 'true');
  const body = await json(late);
  t.match(body, { partner: 'alpha', status: 'received' });
  const again = await post();
  t.same(await json(again), body, 'and the same answer from then on');
  t.equal((await gateway.ledger.listOrders({ partner: 'alpha', limit: 10 })).length, 1, 'one order, not two');
});

t.test('a POST body must be application/json (charset utf-8 or none): anything else is a 415 problem', async (t) => {
  const { gateway, allToCrm } = await setup(t);
  const send = (contentType: string | undefined, body: string | Blob = JSON.stringify(order)) =>
    fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
      method: 'POST',
      body,
      headers: {
        authorization: `Bearer ${keys.alpha}`,
        'idempotency-key': randomUUID(),
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
      },
    });
  const refused = [
    'text/plain',
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-16',
    'application/json; charset=iso-8859-1',
    'application/json; v=2',
    'application/merge-patch+json',
    'multipart/form-data; boundary=x',
  ];
  for (const contentType of refused) {
    const response = await send(contentType);
    t.equal(response.status, 415, contentType);
    t.equal(response.headers.get('content-type'), 'application/problem+json');
    t.match(await json(response), { type: /unsupported-media-type/, status: 415, detail: /application\/json/ });
  }
  // fetch adds text/plain to a string body: a Blob without a type sends no Content-Type at all.
  const none = await send(undefined, new Blob([JSON.stringify(order)]));
  t.equal(none.status, 415, 'no Content-Type');
  t.match(await json(none), { detail: /no Content-Type/ });
  for (const contentType of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"'])
    t.equal((await send(contentType)).status, 202, contentType);
  const gzipped = await fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
    method: 'POST',
    body: gzipSync(JSON.stringify(order)),
    headers: {
      authorization: `Bearer ${keys.alpha}`,
      'idempotency-key': randomUUID(),
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
  });
  t.equal(gzipped.status, 415, 'a compressed body');
  t.match(await json(gzipped), { detail: /Content-Encoding "gzip" is not read here: send the JSON uncompressed/ });
  t.equal(await allToCrm(), 3, 'only the accepted ones reached the CRM');
});

t.test(
  'invalid UTF-8, non-JSON and JSON nested past input.maxJsonDepth are 400 problems on /body, never an order',
  async (t) => {
    const { gateway, post, allToCrm } = await setup(t);
    const sendBytes = (body: Uint8Array) =>
      fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
        method: 'POST',
        body,
        headers: {
          authorization: `Bearer ${keys.alpha}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
      });
    const withBytes = (bytes: readonly number[]) =>
      Buffer.concat([
        Buffer.from('{"reference":"PO-1'),
        Buffer.from(bytes),
        Buffer.from('","customer":{"id":"C-9","name":"x"},"lines":[{"sku":"A","quantity":1}]}'),
      ]);
    t.equal((await sendBytes(withBytes([0xc3, 0xbc]))).status, 202, 'valid UTF-8 (ü) is accepted');
    for (const [name, bytes] of [
      ['a lone continuation byte', [0x80]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['a truncated sequence', [0xe2, 0x82]],
      ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ] as const) {
      const response = await sendBytes(withBytes(bytes));
      t.equal(response.status, 400, name);
      t.match(
        await json(response),
        { type: /validation/, errors: [{ pointer: '/body', detail: /UTF-8/, fix: /UTF-8/ }] },
        name,
      );
    }
    const notJson = await post('{"reference": ', { 'idempotency-key': randomUUID() });
    t.equal(notJson.status, 400);
    t.match(await json(notJson), { errors: [{ pointer: '/body', detail: /not JSON/ }] });

    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const deep = await post(
      `{"reference":"PO-1","customer":{"id":"C","name":"x"},"lines":[{"sku":"A","quantity":1}],"notes":${nested(9000)}}`,
      { 'idempotency-key': randomUUID() },
    );
    t.equal(deep.status, 400, '9,000 levels: a 400, not a 500');
    t.match(await json(deep), {
      errors: [{ pointer: '/body', detail: /nested deeper than 64 levels/, fix: /at most 64 levels/ }],
    });
    t.equal(await allToCrm(), 1, 'only the valid order reached the CRM');
  },
);
