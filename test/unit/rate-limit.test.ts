import t from 'tap';
import { partnerRateLimiter } from '../../src/adapters/http/rate-limit.js';

/** What `admit` threw, if anything. */
function refusal(admit: () => void): unknown {
  try {
    admit();
  } catch (error) {
    return error;
  }
  return undefined;
}

const partner = { id: 'p', name: 'P', apiKeySha256: '0'.repeat(64), requestsPerSecond: 3 };

t.test(
  'a partner gets its requests per second in one-second windows; Retry-After says when the next opens',
  async (t) => {
    let now = 10_000;
    const withinLimit = partnerRateLimiter(() => now);
    for (let i = 0; i < 3; i++) withinLimit(partner);
    now += 100;
    t.match(
      refusal(() => withinLimit(partner)),
      { status: 429, headers: { 'retry-after': '1' } },
      'the fourth in the same second is refused at once',
    );
    withinLimit({ ...partner, id: 'other' });
    t.pass('another partner has its own window');
    now += 900;
    t.doesNotThrow(() => withinLimit(partner), 'a new window opens a second after the first request');
    t.doesNotThrow(() => withinLimit(partner));
    t.doesNotThrow(() => withinLimit(partner));
    t.match(
      refusal(() => withinLimit(partner)),
      { status: 429 },
    );
  },
);

t.test('a partner without a configured limit gets the default of 50 per second', async (t) => {
  const withinLimit = partnerRateLimiter(() => 0);
  const { requestsPerSecond: _, ...unlimited } = partner;
  for (let i = 0; i < 50; i++) withinLimit(unlimited);
  t.match(
    refusal(() => withinLimit(unlimited)),
    { status: 429 },
    'the 51st is refused',
  );
});

t.test("one of N gateways allows its 1/N share of a partner's rate, rounded up", async (t) => {
  const now = 10_000;
  const ofThree = partnerRateLimiter(() => now, 3);
  const ten = { ...partner, requestsPerSecond: 10 };
  for (let i = 0; i < 4; i++) t.doesNotThrow(() => ofThree(ten), `request ${i + 1} of ceil(10 / 3) = 4`);
  t.match(
    refusal(() => ofThree(ten)),
    { status: 429 },
    'the fifth in the second is refused',
  );
});
