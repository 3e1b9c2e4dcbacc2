#!/usr/bin/env node
// Generates TypeScript types from contracts/**/*.schema.json into src/contracts/generated/, and from
// the schemas of the shipped MES dialects (config/mes/<dialect>/*.schema.json) into sim/generated/mes/:
// the gateway knows no MES's types; the simulators and test peers that speak a dialect use them.
// `--check` generates into memory and fails when the committed files differ (stale types).
import { readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFromFile } from 'json-schema-to-typescript';

const rootFlag = process.argv.indexOf('--root');
const root = rootFlag > 0 ? process.argv[rootFlag + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
const contractsDir = join(root, 'contracts');
const dialectsDir = join(root, 'config', 'mes');
const outDir = join(root, 'src', 'contracts', 'generated');
const dialectOutDir = join(root, 'sim', 'generated');
const check = process.argv.includes('--check');

async function schemaFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return schemaFiles(path);
      return e.name.endsWith('.schema.json') ? [path] : [];
    }),
  );
  return nested.flat().sort();
}

async function generate(file) {
  const fromDialect = file.startsWith(dialectsDir);
  const rel = fromDialect ? join('mes', relative(dialectsDir, file)) : relative(contractsDir, file);
  const ts = await compileFromFile(file, {
    cwd: dirname(file),
    bannerComment: `/* Generated from ${relative(root, file)} by npm run contracts. Do not edit: change the schema. */`,
    additionalProperties: false,
    // minItems would turn arrays into tuple types; the schemas still enforce the bounds.
    ignoreMinAndMaxItems: true,
    format: true,
    style: { singleQuote: true, printWidth: 110 },
  });
  return { target: join(fromDialect ? dialectOutDir : outDir, rel.replace(/\.schema\.json$/, '.ts')), ts };
}

const generated = await Promise.all(
  [...(await schemaFiles(contractsDir)), ...(await schemaFiles(dialectsDir))].map(generate),
);

if (check) {
  const stale = [];
  for (const { target, ts } of generated) {
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current !== ts) stale.push(relative(root, target));
  }
  const expected = new Set(generated.map((g) => g.target));
  const present = (
    await Promise.all(
      [outDir, dialectOutDir].map((dir) => readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])),
    )
  )
    .flat()
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
  for (const extra of present) if (!expected.has(extra)) stale.push(`${relative(root, extra)} (no schema)`);
  if (stale.length) {
    console.error(`Generated contract types are stale; run \`npm run contracts\` and commit:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`contracts:check: ${generated.length} generated type files match their schemas`);
} else {
  await rm(outDir, { recursive: true, force: true });
  await rm(dialectOutDir, { recursive: true, force: true });
  for (const { target, ts } of generated) {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, ts);
  }
  console.log(
    `contracts: generated ${generated.length} type files into ${relative(root, outDir)}/ and ${relative(root, dialectOutDir)}/`,
  );
}
