import t from 'tap';
import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { createSigner, secretProblem } from '../../src/adapters/webhooks/index.js';

// The Standard Webhooks test vector, from the reference libraries' own tests:
// github.com/standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts ("sign function works")
// and libraries/go/webhook_test.go (TestWebhookSign) — the same values in both.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

t.test('the spec vector: v1 HMAC-SHA256 over id.timestamp.body with the decoded whsec_ secret', async (t) => {
  const headers = createSigner(vector.secret).sign(vector.msgId, vector.timestamp * 1000, vector.payload);
  t.same(headers, {
    'webhook-id': vector.msgId,
    'webhook-timestamp': String(vector.timestamp),
    'webhook-signature': vector.signature,
  });
  // The same value computed by hand, so the vector also pins the scheme, not only the library.
  const key = Buffer.from(vector.secret.slice('whsec_'.length), 'base64');
  const byHand = createHmac('sha256', key)
    .update(`${vector.msgId}.${vector.timestamp}.${vector.payload}`)
    .digest('base64');
  t.equal(`v1,${byHand}`, vector.signature);
});

t.test('the timestamp is whole seconds of the attempt', async (t) => {
  const headers = createSigner(vector.secret).sign(vector.msgId, vector.timestamp * 1000 + 999, vector.payload);
  t.equal(headers['webhook-timestamp'], String(vector.timestamp));
  t.equal(headers['webhook-signature'], vector.signature, 'milliseconds do not change the signature');
});

// The reference verifier's cases (same test files): what a partner's receiver will do with our headers.
t.test('the reference verifier accepts our headers and rejects tampering, stale and future timestamps', async (t) => {
  const signer = createSigner(vector.secret);
  const body = '{"specversion":"1.0","id":"mes:E-1:0"}';
  const now = Date.now();
  const headers = signer.sign('mes:E-1:0', now, body);
  const verifier = new Webhook(vector.secret);
  t.same(verifier.verify(body, headers), JSON.parse(body));
  t.same(
    new Webhook(vector.secret.slice('whsec_'.length)).verify(body, headers),
    JSON.parse(body),
    'with and without the whsec_ prefix',
  );
  const rejects = (what: string, payload: string, h: Record<string, string>) =>
    t.throws(() => verifier.verify(payload, h), WebhookVerificationError, what);
  rejects('another body', body.replace('E-1', 'E-2'), { ...headers });
  rejects('another id', body, { ...headers, 'webhook-id': 'mes:E-2:0' });
  rejects('another timestamp', body, { ...headers, 'webhook-timestamp': String(Math.floor(now / 1000) + 1) });
  rejects('a partial signature', body, { ...headers, 'webhook-signature': headers['webhook-signature'].slice(0, 8) });
  rejects('no signature', body, {
    'webhook-id': headers['webhook-id'],
    'webhook-timestamp': headers['webhook-timestamp'],
  });
  // Timestamps are whole seconds, and the verifier reads its clock a moment later: a margin of
  // 1 s let a verify that crossed a second boundary find the future one in tolerance.
  const old = signer.sign('mes:E-1:0', now - 5 * 60_000 - 10_000, body);
  rejects('older than the 5 min tolerance', body, { ...old });
  const future = signer.sign('mes:E-1:0', now + 5 * 60_000 + 10_000, body);
  rejects('newer than the 5 min tolerance', body, { ...future });
  const other = createSigner(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).sign('mes:E-1:0', now, body);
  rejects('another secret', body, { ...other });
  const rotated = {
    ...headers,
    'webhook-signature': `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${headers['webhook-signature']}`,
  };
  t.ok(verifier.verify(body, rotated), 'a list of signatures (key rotation) passes when one matches');
});

t.test('secrets must be whsec_ base64 of 24 to 64 bytes; the error never shows the secret', async (t) => {
  t.equal(secretProblem(vector.secret), undefined, '24 bytes');
  t.equal(secretProblem(`whsec_${Buffer.alloc(64).toString('base64')}`), undefined, '64 bytes');
  t.match(secretProblem('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), /whsec_/);
  t.match(secretProblem(`whsec_${Buffer.alloc(16).toString('base64')}`), /24 to 64 bytes \(it holds 16\)/);
  t.match(secretProblem('whsec_not base64!'), /base64/);
  const leaked = 'whsec_c2hvcnQ=';
  t.throws(() => createSigner(leaked), { message: /webhook secret must hold 24 to 64 bytes/ });
  try {
    createSigner(leaked);
  } catch (error) {
    t.notMatch((error as Error).message, 'c2hvcnQ', 'the message does not carry the secret');
  }
});
