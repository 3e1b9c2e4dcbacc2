import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yamlLocation, yamlLocator, yamlTypeTrap, type YamlScalar } from '../../src/config/index.js';

// Line numbers below are this text's: keep them in step when editing it.
const text = [
  '# a dialect-like file', // 1
  'mes:', // 2
  '  name: 1e3', // 3
  'states:', // 4
  '  CUTTING:', // 5
  '    description: "Operation 10"', // 6
  '    next: [10, 20]', // 7
  '  PAUSED:', // 8
  '    next:', // 9
  '      - CUTTING', // 10
  '      - 08', // 11
  '    description:', // 12
  '  10:', // 13
  '    description: numeric key', // 14
  'paths:', // 15
  '  a/b: /x', // 16
  '  "t~": /y', // 17
  'partners:', // 18
  '  - id: shop', // 19
  '    on: yes', // 20
  'base: &base', // 21
  '  port: "8080"', // 22
  'copy: *base', // 23
  '',
].join('\n');

let dir: string;
let file: string;
t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderbridge-locator-'));
  file = join(dir, 'mapping.yaml');
  writeFileSync(file, text);
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const at = (pointer: string, anchor?: 'value' | 'key' | 'parent') =>
  yamlLocation(file, readFileSync(file, 'utf8'), pointer, anchor);

t.test('a scalar is shown at its value: file:line:column, 1-based', async (t) => {
  t.equal(at('/mes/name'), `${file}:3:9`);
  t.equal(at('/states/CUTTING/next/0'), `${file}:7:12`, 'a flow sequence item');
  t.equal(at('/states/CUTTING/next/1'), `${file}:7:16`);
  t.equal(at('/states/PAUSED/next/1'), `${file}:11:9`, 'a block sequence item');
  t.equal(at('/states/CUTTING/description'), `${file}:6:18`, 'a quoted scalar at its opening quote');
  t.equal(at('/partners/0/on'), `${file}:20:9`, 'through a sequence of mappings');
});

t.test('a collection, and an empty value, are shown at the key they are written under', async (t) => {
  t.equal(at('/states'), `${file}:4:1`);
  t.equal(at('/states/CUTTING'), `${file}:5:3`);
  t.equal(at('/states/CUTTING/next'), `${file}:7:5`);
  t.equal(at('/states/PAUSED/description'), `${file}:12:5`, '`description:` with nothing after it');
  t.equal(at('/partners/0'), `${file}:19:5`, 'a sequence item has no key: where it starts');
});

t.test('keys as JSON sees them: a numeric key, and ~1 and ~0 in the pointer', async (t) => {
  t.equal(at('/states/10/description'), `${file}:14:18`);
  t.equal(at('/paths/a~1b'), `${file}:16:8`);
  t.equal(at('/paths/t~0'), `${file}:17:9`);
});

t.test('anchors: the key itself, or the object that lacks a field', async (t) => {
  t.equal(at('/paths/a~1b', 'key'), `${file}:16:3`);
  t.equal(at('/states/CUTTING/status', 'parent'), `${file}:5:3`, 'a missing required field: the object that lacks it');
});

t.test('a pointer that is not in the file falls back to its nearest existing ancestor', async (t) => {
  const locator = yamlLocator(text);
  t.same(locator.position('/states/CUTTING/status'), { line: 5, column: 3, pointer: '/states/CUTTING', exact: false });
  t.same(locator.position('/states/CUTTING/next/7'), {
    line: 7,
    column: 5,
    pointer: '/states/CUTTING/next',
    exact: false,
  });
  t.same(locator.position('/nothing/here'), { line: 2, column: 1, pointer: '', exact: false }, 'the document itself');
  t.same(
    locator.position('/mes/name/deeper'),
    { line: 3, column: 9, pointer: '/mes/name', exact: false },
    'a scalar has no children',
  );
  t.same(locator.position('/mes/name'), { line: 3, column: 9, pointer: '/mes/name', exact: true });
});

t.test('an alias is followed to what it names', async (t) => {
  t.equal(at('/copy/port'), `${file}:22:9`);
});

t.test('an empty document has no place; the location is the file alone', async (t) => {
  t.equal(yamlLocation('empty.yaml', '', '/a'), 'empty.yaml');
  t.equal(yamlLocation('comment.yaml', '# nothing\n', '/a'), 'comment.yaml');
});

t.test('scalars as written: what YAML made of the text', async (t) => {
  const locator = yamlLocator(text);
  t.same(locator.scalar('/mes/name'), { source: '1e3', value: 1000, plain: true });
  t.same(locator.scalar('/states/PAUSED/next/1'), { source: '08', value: 8, plain: true });
  t.same(locator.scalar('/base/port'), { source: '8080', value: '8080', plain: false });
  t.same(locator.scalar('/states/PAUSED/description'), { source: '', value: null, plain: true });
  t.equal(locator.scalar('/states/CUTTING'), undefined, 'a mapping is no scalar');
  t.equal(locator.scalar('/missing'), undefined);
});

t.test('the YAML type trap: quote it, remove the quotes, or write true/false', async (t) => {
  const scalar = (source: string, value: unknown, plain = true): YamlScalar => ({ source, value, plain });
  t.same(yamlTypeTrap(['string'], scalar('10', 10)), {
    because: 'YAML reads the unquoted 10 as a number',
    fix: 'quote it: "10"',
  });
  t.same(yamlTypeTrap(['string'], scalar('08', 8)), {
    because: 'YAML reads the unquoted 08 as the number 8',
    fix: 'quote it: "08"',
  });
  t.same(yamlTypeTrap(['string'], scalar('1e3', 1000)), {
    because: 'YAML reads the unquoted 1e3 as the number 1000',
    fix: 'quote it: "1e3"',
  });
  t.same(yamlTypeTrap(['string'], scalar('null', null)), {
    because: 'YAML reads the unquoted null as null',
    fix: 'quote it: "null"',
  });
  t.same(yamlTypeTrap(['string'], scalar('~', null)), {
    because: 'YAML reads the unquoted ~ as null',
    fix: 'quote it: "~"',
  });
  t.same(
    yamlTypeTrap(['string'], scalar('on', true)),
    { because: 'YAML reads the unquoted on as the boolean true', fix: 'quote it: "on"' },
    'a YAML 1.1 file',
  );
  t.same(
    yamlTypeTrap(['string'], scalar('no', false)),
    { because: 'YAML reads the unquoted no as the boolean false', fix: 'quote it: "no"' },
    'a YAML 1.1 file',
  );
  t.same(yamlTypeTrap(['integer'], scalar('8080', '8080', false)), {
    because: 'the quotes make it a string',
    fix: 'remove the quotes: 8080',
  });
  t.same(yamlTypeTrap(['boolean'], scalar('true', 'true', false)), {
    because: 'the quotes make it a string',
    fix: 'remove the quotes: true',
  });
  t.same(yamlTypeTrap(['boolean'], scalar('yes', 'yes')), {
    because: 'YAML 1.2 reads yes as a string, not as true',
    fix: 'write true',
  });
  t.same(yamlTypeTrap(['boolean'], scalar('Off', 'Off')), {
    because: 'YAML 1.2 reads Off as a string, not as false',
    fix: 'write false',
  });
  t.equal(
    yamlTypeTrap(['string'], scalar('', null)),
    undefined,
    'an empty value is not to be quoted: it needs a value',
  );
  t.equal(
    yamlTypeTrap(['string'], scalar('10', 10, false)),
    undefined,
    'written as a number on purpose (a tag): not a trap',
  );
  t.equal(yamlTypeTrap(['integer'], scalar('eighty', 'eighty', false)), undefined, 'the quotes are not what is wrong');
  t.equal(yamlTypeTrap(['integer'], scalar('3.5', 3.5)), undefined, 'a wrong number is no trap');
  t.equal(yamlTypeTrap(['string', 'null'], scalar('null', null)), undefined, 'the value fits');
});
