import t from 'tap';
import { parseJsonBounded } from '../../src/contracts/parse-json.js';
import { explainErrors, preview } from '../../src/contracts/explain-errors.js';
import { validatorFor } from '../../src/contracts/validate.js';

const limits = { maxBytes: 262_144, maxDepth: 64 };
const parse = (text: string | Buffer) => parseJsonBounded(Buffer.isBuffer(text) ? text : Buffer.from(text), limits);
const nested = (depth: number, open = '{"a":', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`;

t.test('nesting is refused past the limit before JSON.parse, whatever the brackets', async (t) => {
  t.match(parse(nested(64)), { ok: true }, '64 levels of objects pass');
  t.match(parse(nested(65)), {
    ok: false,
    reason: 'too_deep',
    error: /deeper than 64 levels/,
    fix: /at most 64 levels/,
  });
  t.match(parse(nested(65, '[', ']')), { ok: false, reason: 'too_deep' }, 'arrays count too');
  t.match(
    parse(`{"notes":${nested(9000)}}`),
    { ok: false, reason: 'too_deep' },
    "the issue's 9,000 levels (54 KB) is refused, not a stack overflow",
  );
  t.match(parse(nested(40, '[{"a":', '}]')), { ok: false, reason: 'too_deep' }, 'mixed nesting counts every level');
});

t.test('brackets inside strings, escaped quotes included, are not nesting', async (t) => {
  t.match(parse(JSON.stringify({ text: '['.repeat(500) + '{'.repeat(500) })), { ok: true });
  t.match(
    parse(JSON.stringify({ text: `\\"${'['.repeat(200)}"\\` })),
    { ok: true },
    'an escaped quote does not end the string',
  );
  t.match(
    parse(`{"a":"\\\\",${'"b":['.repeat(1)}${'['.repeat(70)}${']'.repeat(71)}}`),
    { ok: false, reason: 'too_deep' },
    'an escaped backslash before the closing quote ends the string',
  );
});

t.test('bytes that are not valid UTF-8 are refused, never turned into U+FFFD', async (t) => {
  const cases: [string, number[]][] = [
    ['a lone continuation byte', [0x80]],
    ['an invalid lead byte', [0xff]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  for (const [name, bytes] of cases) {
    const body = Buffer.concat([Buffer.from('{"note":"'), Buffer.from(bytes), Buffer.from('"}')]);
    t.match(parse(body), { ok: false, reason: 'undecodable', error: 'not valid UTF-8' }, name);
  }
  t.match(
    parse(Buffer.from('{"note":"Zürich – 東京 😀"}')),
    { ok: true, value: { note: 'Zürich – 東京 😀' } },
    'valid multi-byte text passes',
  );
});

t.test('size is checked before the bytes are read; broken JSON says so', async (t) => {
  t.match(parseJsonBounded(Buffer.alloc(2000, 0x20), { maxBytes: 1024, maxDepth: 64 }), {
    ok: false,
    reason: 'too_large',
    error: /2000 bytes exceed the 1024-byte limit/,
  });
  t.match(parse('{"a":'), { ok: false, reason: 'undecodable', error: /not JSON/ });
  t.match(parse('{"__proto__":{"polluted":true}}'), { ok: true });
  t.equal(
    ({} as Record<string, unknown>).polluted,
    undefined,
    'a __proto__ key stays an own property, nothing is polluted',
  );
});

t.test('describing a validation error stays bounded for huge and deep values', async (t) => {
  const deep = JSON.parse(nested(20_000)) as unknown;
  t.equal(preview(deep), 'an object');
  t.equal(preview('x'.repeat(100_000)).length, 83, 'a long string is cut to 80 characters and quoted');
  t.equal(preview([1, 2, 3]), 'an array of 3');
  const validate = validatorFor('crmOrderCreate');
  const result = validate({
    messageId: deep,
    type: 'order.create',
    orderId: 'X',
    partner: 'shop',
    customer: { id: deep },
    lines: deep,
    sentAt: 'x'.repeat(100_000),
  });
  t.equal(result.ok, false);
  if (!result.ok) {
    t.ok(result.problems.length > 0, 'the problems are described without a stack overflow');
    t.ok(
      result.problems.every((p) => p.message.length < 300),
      'each message stays short',
    );
  }
  t.ok(explainErrors([]).length === 0);
});

t.test(
  'an input with thousands of problems is described in bounded time: the first 50 and how many more',
  async (t) => {
    const body: Record<string, unknown> = { messageId: 'm', type: 'order.create' };
    for (let i = 0; i < 18_000; i++) body[`k${i}`] = i;
    const started = performance.now();
    const result = validatorFor('crmOrderCreate')(body);
    const elapsedMs = performance.now() - started;
    t.equal(result.ok, false);
    if (result.ok) return;
    t.equal(result.problems.length, 51, '50 problems, then one line for the rest');
    t.match(result.problems.at(-1), { message: /and at least \d+ more problems not listed/, fix: /validate again/ });
    t.comment(`described in ${elapsedMs.toFixed(1)} ms (186 ms when every problem was described)`);
    const all = validatorFor('crmOrderCreate', { maxProblems: Infinity })(body);
    t.ok(!all.ok && all.problems.length > 18_000, 'a config file still gets every problem');
  },
);

t.test(
  'an input of 25,000 bad items is explained from its first thousand: its size, and the first problems',
  async (t) => {
    const create = {
      messageId: 'm',
      type: 'order.create',
      sentAt: '2026-12-07T10:00:00Z',
      orderId: 'O-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: Array.from({ length: 25_000 }, () => ({ sku: '', quantity: -1 })),
    };
    const result = validatorFor('crmOrderCreate')(create);
    t.equal(result.ok, false);
    if (result.ok) return;
    t.ok(
      result.problems.some(
        (p) => p.pointer === '/lines' && /more than 500 items, found an array of 25000/.test(p.message),
      ),
      'the size limit is among the problems, with the size sent',
    );
    t.match(result.problems.at(-1), { message: /^and at least \d+ more problems not listed$/ });
    const fewer = validatorFor('crmOrderCreate')({ ...create, lines: [{ sku: 'S', quantity: 1 }] });
    t.ok(fewer.ok, 'the same order with one good line is valid');
  },
);

t.test('half a surrogate pair, escaped, is refused as no text; whole pairs and UTF-8 pass', async (t) => {
  t.match(parse('{"notes":"\\ud800"}'), { ok: false, reason: 'undecodable', error: /^\/notes: a string holds half/ });
  t.match(parse('{"lines":[{"sku":"\\udfff"}]}'), { ok: false, error: /^\/lines\/0\/sku: / });
  t.match(parse('{"\\udc00":1}'), { ok: false, error: /^\/\\udc00: / }, 'in a key too, escaped where it is named');
  t.same(parse('{"a":"\\ud83d\\ude00","b":"😀"}'), { ok: true, value: { a: '😀', b: '😀' } });
});
