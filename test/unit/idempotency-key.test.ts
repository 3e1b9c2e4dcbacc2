import t from 'tap';
import { readIdempotencyKey } from '../../src/adapters/http/idempotency-key.js';

const keyOf = (header: string | undefined) => {
  const read = readIdempotencyKey(header);
  return read.ok ? read.key : undefined;
};

t.test('a Structured Field String, and the same key unquoted, are one key', async (t) => {
  t.equal(keyOf('"K"'), 'K');
  t.equal(keyOf('K'), 'K', 'unquoted: the same key');
  const uuid = '123e4567-e89b-12d3-a456-426614174000';
  t.equal(keyOf(uuid), uuid, 'a UUID starting with a digit (no sf-token, yet a key of token characters)');
  t.equal(keyOf(`"${uuid}"`), uuid);
  t.equal(keyOf("a!#$%&'*+-.^_`|~:/Z9"), "a!#$%&'*+-.^_`|~:/Z9", 'every token character');
  t.equal(keyOf('"a \\"quoted\\" key \\\\ here"'), 'a "quoted" key \\ here', 'escapes inside a string are read');
  t.equal(keyOf('  "K"  '), 'K', 'spaces around the value are not part of it');
  t.equal(keyOf('"K";v=1;x'), 'K', 'parameters after the string are ignored');
  t.equal(keyOf(`"${'x'.repeat(128)}"`), 'x'.repeat(128), '128 characters');
});

t.test('anything else is a problem on the header, with the fix', async (t) => {
  const cases: [string | undefined, RegExp][] = [
    [undefined, /is required/],
    ['"unterminated', /not one quoted string/],
    ['"one", "two"', /not one quoted string/],
    ['"K" trailing', /not one quoted string/],
    ['"é"', /not one quoted string/],
    ['two words', /neither a quoted string nor an unquoted key/],
    ['a,b', /neither/],
    ['K;v=1', /neither/],
    ['?1', /neither/],
    ['', /neither/],
    ['""', /1 to 128 characters, found 0/],
    [`"${'x'.repeat(129)}"`, /1 to 128 characters, found 129/],
    ['x'.repeat(129), /1 to 128 characters, found 129/],
  ];
  for (const [header, message] of cases) {
    const read = readIdempotencyKey(header);
    t.notOk(read.ok, String(header));
    if (read.ok) continue;
    t.equal(read.problem.pointer, '/Idempotency-Key');
    t.match(read.problem.message, message, String(header));
    t.match(read.problem.fix, /in double quotes .*Idempotency-Key: "/, 'the fix says how to send it');
  }
});
