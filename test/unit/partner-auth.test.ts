import * as crypto from 'node:crypto';
import t from 'tap';
import { partnerAuthenticator } from '../../src/adapters/http/partner-auth.js';

const keys = { alpha: 'alpha-key-0123456789abcdef', beta: 'beta--key-0123456789abcdef' };
const sha256 = (key: string) => crypto.createHash('sha256').update(key).digest('hex');
const partners = [
  { id: 'alpha', name: 'Alpha', apiKeySha256: sha256(keys.alpha) },
  { id: 'beta', name: 'Beta', apiKeySha256: sha256(keys.beta) },
];

/** The authenticator, with its digests and comparisons counted. */
function counted() {
  const digests = { count: 0 };
  const comparisons = { count: 0 };
  const authenticate = partnerAuthenticator(partners, {
    sha256: (bytes) => {
      digests.count++;
      return crypto.hash('sha256', bytes, 'buffer');
    },
    sameBytes: (a, b) => {
      comparisons.count++;
      return crypto.timingSafeEqual(a, b);
    },
  });
  return { authenticate, digests, comparisons };
}

const bearer = (key: string) => `Bearer ${key}`;
const refused = { name: 'HttpProblem', status: 401, slug: 'unauthorized' };

t.test('each key finds its own partner, before and after it has been proved once', async (t) => {
  const { authenticate } = counted();
  for (let round = 0; round < 2; round++) {
    t.equal(authenticate(bearer(keys.alpha)).id, 'alpha');
    t.equal(authenticate(bearer(keys.beta)).id, 'beta');
  }
});

t.test('a key is hashed once per process; an unknown key every time', async (t) => {
  const { authenticate, digests } = counted();
  for (let i = 0; i < 5; i++) authenticate(bearer(keys.alpha));
  t.equal(digests.count, 1);
  for (let i = 0; i < 3; i++) t.throws(() => authenticate(bearer('unknown-key-0123456789abc')), refused);
  t.equal(digests.count, 4);
});

t.test('a proved key does not open the door to keys that resemble it', async (t) => {
  const { authenticate } = counted();
  authenticate(bearer(keys.alpha));
  const oneCharOff = `${keys.alpha.slice(0, -1)}x`;
  t.throws(() => authenticate(bearer(oneCharOff)), refused, 'same length, last byte differs');
  t.throws(() => authenticate(bearer(keys.alpha.slice(0, -1))), refused, 'a prefix');
  t.throws(() => authenticate(bearer(`${keys.alpha}0`)), refused, 'an extension');
  t.equal(authenticate(bearer(keys.alpha)).id, 'alpha');
});

t.test('a missing or malformed Authorization header is refused with the expected form', async (t) => {
  const { authenticate } = counted();
  t.throws(() => authenticate(undefined), { ...refused, message: /Bearer <key>/ });
  t.throws(() => authenticate(keys.alpha), { ...refused, message: /must be "Bearer <key>"/ });
  t.throws(() => authenticate('Bearer short'), { ...refused, message: /16 to 256 visible characters/ });
});

t.test('the scheme is case-insensitive (RFC 9110 §11.1); the key is not', async (t) => {
  const { authenticate } = counted();
  for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
    t.equal(authenticate(`${scheme} ${keys.alpha}`).id, 'alpha', scheme);
  t.equal(authenticate(`Bearer   ${keys.alpha}`).id, 'alpha', 'several spaces after the scheme');
  t.throws(() => authenticate(`Bearer ${keys.alpha.toUpperCase()}`), refused, 'the key keeps its case');
  t.throws(
    () => authenticate(`Basic ${keys.alpha}`),
    { ...refused, message: /must be "Bearer <key>"/ },
    'another scheme',
  );
});

t.test('every key is compared with every partner in constant time, without stopping at a match', async (t) => {
  const { authenticate, comparisons } = counted();
  const compared = (key: string) => {
    const before = comparisons.count;
    try {
      authenticate(bearer(key));
    } catch {
      // An unknown key is refused; its comparisons are what is counted here.
    }
    return comparisons.count - before;
  };
  t.equal(compared(keys.alpha), partners.length, 'a first key: its digest against each partner');
  t.equal(compared(keys.alpha), 1, 'a proved key: against each proved key of its length (alpha), then found');
  t.equal(
    compared(keys.beta),
    1 + partners.length,
    "a new key: against alpha's proved key, then its digest against each partner",
  );
  t.equal(compared(keys.alpha), 2, 'now both proved keys, alpha matching first and beta still compared');
  t.equal(compared('unknown-key-0123456789abcd'), 2 + partners.length, 'an unknown key: every comparison, always');
});
