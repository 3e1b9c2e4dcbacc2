import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The arrows point inward: adapters → application → core → contracts. This test reads every import
// of src/ (value and type alike) and fails on one that points outward, unless it is listed below
// with why it is still there; it also fails when a listed one is gone, so the list only shrinks.
const src = resolve(import.meta.dirname, '../../src');

const knownOutward = new Map<string, string>([]);

type Layer = 'contracts' | 'core' | 'ledger ports' | 'application' | 'adapter' | 'root' | 'support';

function layerOf(file: string): Layer {
  if (file.startsWith('contracts/')) return 'contracts';
  if (file.startsWith('mapping/') || /^ledger\/(decide-[a-z-]+|model)\.ts$/.test(file)) return 'core';
  if (file.startsWith('ledger/sqlite/') || file.startsWith('ledger/postgres/')) return 'adapter';
  if (file.startsWith('ledger/')) return 'ledger ports';
  if (file.startsWith('app/')) return 'application';
  if (file.startsWith('adapters/')) return 'adapter';
  if (file.startsWith('cli/') || file === 'gateway.ts') return 'root';
  return 'support';
}

/** What each layer may import besides itself and the support modules (config, telemetry, shared). */
const mayImport: Record<Layer, Layer[]> = {
  contracts: [],
  core: ['contracts'],
  'ledger ports': ['core', 'contracts'],
  application: ['ledger ports', 'core', 'contracts'],
  adapter: ['application', 'ledger ports', 'core', 'contracts'],
  root: ['adapter', 'application', 'ledger ports', 'core', 'contracts'],
  support: ['ledger ports', 'core', 'contracts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(path: string): string[] {
  const source = readFileSync(path, 'utf8');
  return [...source.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g)]
    .map((m) => relative(src, resolve(dirname(path), m[1]!.replace(/\.js$/, '.ts'))))
    .filter((target) => !target.startsWith('..'));
}

const edges = sourceFiles(src).flatMap((path) =>
  importsOf(path).map((target) => ({ from: relative(src, path), to: target })),
);

t.test('no import points outward: core → only contracts, application → no adapter, ports → no driver', async (t) => {
  const outward = edges
    .filter(({ from, to }) => {
      const [a, b] = [layerOf(from), layerOf(to)];
      // The ledger's index and its opener are where the driver is chosen: the one place a port
      // module names a driver.
      if (['ledger/index.ts', 'ledger/open-ledger.ts'].includes(from) && /^ledger\/(sqlite|postgres)\//.test(to))
        return false;
      return a !== b && b !== 'support' && !mayImport[a].includes(b);
    })
    .map(({ from, to }) => `${from} → ${to}`);
  const unknown = outward.filter((edge) => !knownOutward.has(edge));
  t.same(unknown, [], 'every outward import is a known one (fix it, or list it with why)');
  const gone = [...knownOutward.keys()].filter((edge) => !outward.includes(edge));
  t.same(gone, [], 'every listed exception still exists (remove the ones that were fixed)');
});

t.test('only the CLI starts the gateway: nothing else imports the composition root', async (t) => {
  t.same(
    edges.filter(({ from, to }) => to === 'gateway.ts' && !from.startsWith('cli/')).map(({ from }) => from),
    [],
  );
});

// Folders of src/ that import each other, in both directions (through any path of folders).
const knownFolderCycles = new Map<string, string>([]);

t.test('no import cycle between the top-level folders of src/, except the listed ones', async (t) => {
  const folderOf = (file: string) =>
    file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.ts$/, '');
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a !== b) graph.set(a, new Set([...(graph.get(a) ?? []), b]));
  }
  const reach = (start: string) => {
    const seen = new Set<string>();
    const pending = [...(graph.get(start) ?? [])];
    while (pending.length) {
      const next = pending.pop()!;
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(...(graph.get(next) ?? []));
      }
    }
    return seen;
  };
  const reachable = new Map([...graph.keys()].map((folder) => [folder, reach(folder)]));
  const cycles = new Set<string>();
  for (const [folder, seen] of reachable) {
    const group = [...seen].filter((other) => other === folder || reachable.get(other)?.has(folder)).sort();
    if (group.length > 1 || seen.has(folder)) cycles.add([...new Set([folder, ...group])].sort().join(' ⇄ '));
  }
  t.same(
    [...cycles].filter((cycle) => !knownFolderCycles.has(cycle)),
    [],
    'no new cycle between folders',
  );
  t.same(
    [...knownFolderCycles.keys()].filter((cycle) => !cycles.has(cycle)),
    [],
    'every listed cycle still exists (remove the ones that were broken)',
  );
});
