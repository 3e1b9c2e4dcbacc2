import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The rows of the README's guarantees table: the claim, and the test files named beside it. */
function guarantees(): { claim: string; tests: string[] }[] {
  const section = readme
    .split('### Guarantees and the tests that hold them')[1]
    ?.split('\n\n')
    .find((p) => p.startsWith('|'));
  if (!section) return [];
  return section
    .split('\n')
    .slice(2)
    .map((row) => row.split(' | '))
    .map(([claim = '', tests = '']) => ({
      claim: claim.replace(/^\| /, ''),
      tests: [...tests.matchAll(/`([^`]+\.test\.ts)`/g)].map((m) => m[1]!),
    }));
}

t.test('every guarantee in the README names test files, and each of them exists', async (t) => {
  const rows = guarantees();
  t.ok(rows.length >= 10, `${rows.length} guarantees`);
  for (const { claim, tests } of rows) {
    t.ok(tests.length > 0, `a test for: ${claim}`);
    for (const file of tests) t.ok(existsSync(join(root, file)), `${file} exists`);
  }
});
