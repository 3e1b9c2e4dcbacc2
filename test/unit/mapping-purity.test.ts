import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// src/mapping is the pure core: it may import only itself, generated contract types and the status model.
t.test('src/mapping imports nothing that does I/O', async (t) => {
  const dir = resolve(import.meta.dirname, '../../src/mapping');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const specifier of imports) {
      const allowed =
        specifier.startsWith('./') ||
        specifier.startsWith('../contracts/generated/') ||
        specifier === '../../contracts/external/status-model.json';
      t.ok(allowed, `${file} imports ${specifier}`);
    }
    t.notMatch(
      source,
      /process\.|Date\.now\(|new Date\(\)|Math\.random|fetch\(|require\(/,
      `${file} reads no clock, randomness, environment or network`,
    );
  }
});

// The ledger's decide-* files are the rest of the core: pure rules the stores carry out.
t.test('src/ledger/decide-* import nothing that does I/O', async (t) => {
  const dir = resolve(import.meta.dirname, '../../src/ledger');
  const files = readdirSync(dir).filter((f) => f.startsWith('decide-') && f.endsWith('.ts'));
  t.ok(files.length >= 4, `the decide files: ${files.join(', ')}`);
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const specifier of imports) {
      const allowed =
        /^\.\/(decide-[a-z-]+|model)\.js$/.test(specifier) ||
        specifier === '../mapping/index.js' ||
        specifier.startsWith('../contracts/generated/');
      t.ok(allowed, `${file} imports ${specifier}`);
    }
    t.notMatch(
      source,
      /process\.|Date\.now\(|new Date\(\)|Math\.random|fetch\(|require\(/,
      `${file} reads no clock, randomness, environment or network`,
    );
  }
});
