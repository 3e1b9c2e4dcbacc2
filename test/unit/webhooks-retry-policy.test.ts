import t from 'tap';
import {
  decideAfterAttempt,
  defaultRetrySchedule,
  parseRetryAfter,
  retryDelay,
  webhookSettingsProblems,
} from '../../src/adapters/webhooks/index.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const schedule = [1000, 5000, 20000];

t.test('2xx delivers, 410 disables, everything else retries on the schedule and then fails', async (t) => {
  const half = () => 0.5;
  t.same(decideAfterAttempt({ status: 200, durationMs: 3 }, 1, schedule, T0, half), { state: 'delivered' });
  t.same(
    decideAfterAttempt({ status: 204, durationMs: 3 }, 4, schedule, T0, half),
    { state: 'delivered' },
    'even on the last attempt',
  );
  t.match(decideAfterAttempt({ status: 410, durationMs: 3 }, 1, schedule, T0, half), {
    state: 'disabled',
    reason: /410 Gone/,
  });
  for (const status of [301, 400, 401, 404, 429, 500, 502, 503]) {
    t.same(
      decideAfterAttempt({ status, durationMs: 3 }, 1, schedule, T0, half),
      { state: 'pending', nextAttemptAt: T0 + 500 },
      `HTTP ${status} retries`,
    );
  }
  t.same(decideAfterAttempt({ error: 'timeout after 100 ms', durationMs: 100 }, 2, schedule, T0, half), {
    state: 'pending',
    nextAttemptAt: T0 + 2500,
  });
  t.same(
    decideAfterAttempt({ status: 500, durationMs: 3 }, 3, schedule, T0, half),
    { state: 'pending', nextAttemptAt: T0 + 10000 },
    'the third retry uses the last step',
  );
  t.match(decideAfterAttempt({ status: 500, durationMs: 3 }, 4, schedule, T0, half), {
    state: 'failed',
    reason: 'HTTP 500; gave up after 4 attempts',
  });
  t.match(
    decideAfterAttempt(
      { error: 'target refused: scheme ftp: is not http(s)', permanent: true, durationMs: 0 },
      1,
      schedule,
      T0,
      half,
    ),
    { state: 'failed', reason: /scheme/ },
    'a permanent refusal is not retried',
  );
});

t.test(
  'full jitter: each wait is uniform in [0, step]; Retry-After is a floor capped by the longest step',
  async (t) => {
    t.equal(
      retryDelay(1, schedule, () => 0),
      0,
    );
    t.equal(
      retryDelay(1, schedule, () => 0.999999),
      999,
    );
    t.equal(
      retryDelay(2, schedule, () => 0.25),
      1250,
    );
    t.equal(
      retryDelay(4, schedule, () => 0.5),
      undefined,
      'the schedule is used up',
    );
    t.equal(
      retryDelay(1, schedule, () => 0, 7000),
      7000,
      'Retry-After above the jittered wait',
    );
    t.equal(
      retryDelay(3, schedule, () => 0.9, 7000),
      18000,
      'the jittered wait above Retry-After',
    );
    t.equal(
      retryDelay(1, schedule, () => 0, 3_600_000),
      20000,
      'an hour of Retry-After is capped by the longest step',
    );
    const waits = Array.from({ length: 2000 }, () => retryDelay(2, schedule, Math.random)!);
    t.ok(
      waits.every((w) => w >= 0 && w < 5000),
      'all within [0, 5000)',
    );
    t.ok(Math.min(...waits) < 500 && Math.max(...waits) > 4500, 'spread over the whole range');
  },
);

t.test('the default schedule spans about a day in all, in hours-long steps', async (t) => {
  const total = defaultRetrySchedule.reduce((a, b) => a + b, 0);
  t.ok(total >= 23 * 3_600_000 && total <= 25 * 3_600_000, `sums to ${(total / 3_600_000).toFixed(1)} h`);
  t.ok(
    defaultRetrySchedule.every((ms, i) => i === 0 || ms >= defaultRetrySchedule[i - 1]!),
    'never shorter than the step before',
  );
  t.equal(defaultRetrySchedule[0], 5000);
});

t.test('Retry-After as seconds or an HTTP date', async (t) => {
  t.equal(parseRetryAfter('120', T0), 120_000);
  t.equal(parseRetryAfter(new Date(T0 + 30_000).toUTCString(), T0), 30_000);
  t.equal(parseRetryAfter(new Date(T0 - 30_000).toUTCString(), T0), 0);
  t.equal(parseRetryAfter('soon', T0), undefined);
  t.equal(parseRetryAfter(undefined, T0), undefined);
});

t.test('settings problems name the endpoint by index and partner, never the secret', async (t) => {
  const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  const problems = webhookSettingsProblems({
    timeoutMs: 0,
    maxConcurrent: 0,
    schedule: [-1],
    endpoints: [
      { partner: 'shop', url: 'ftp://shop.example/hook', secret },
      { partner: 'shop', url: 'https://u:p@shop.example/hook', secret: 'whsec_dG9vc2hvcnQ=' },
      { partner: 'b2b', url: 'https://b2b.example/hook', secret },
      { partner: 'b2b', url: 'https://b2b.example/hook', secret },
    ],
  });
  t.same(problems, [
    'timeoutMs must be positive',
    'maxConcurrent must be an integer ≥ 1',
    'schedule entries must be durations ≥ 0',
    'endpoints[0] (partner shop): url must be http(s), not ftp:',
    'endpoints[1] (partner shop): url must not carry credentials; the signature authenticates the gateway',
    'endpoints[1] (partner shop): secret must hold 24 to 64 bytes (it holds 8)',
    'endpoints[3] (partner b2b): url is listed twice; one endpoint, one entry',
  ]);
  t.notMatch(problems.join('\n'), secret.slice(6, 20));
});
