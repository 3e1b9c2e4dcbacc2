/**
 * Summarises V8 CPU profiles (node --cpu-prof), e.g. those of `bench/proxy/main.ts --parts 1 --cpu-prof DIR`:
 * self time by package or source folder, and the functions with the most self and total time.
 *
 *   node dist-bench/bench/proxy/profile.js FILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Where a frame's code lives: a package, a folder of ours, Node itself, or V8 bookkeeping. */
function place(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const ours = /\/((?:src|sim|bench)\/.*)$/.exec(url);
  if (ours) return ours[1]!;
  return url;
}

export function summariseProfile(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalSamples = profile.samples.length || 1;
  const perSampleMs = (profile.endTime - profile.startTime) / 1000 / totalSamples;
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
  const inclusive = new Map<number, number>();
  const total = (node: ProfileNode): number => {
    const known = inclusive.get(node.id);
    if (known !== undefined) return known;
    const sum =
      (self.get(node.id) ?? 0) + (node.children ?? []).reduce((acc, child) => acc + total(byId.get(child)!), 0);
    inclusive.set(node.id, sum);
    return sum;
  };
  const places = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const totalByFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${place(url, functionName)}:${lineNumber + 1}`;
    const mine = self.get(node.id) ?? 0;
    places.set(place(url, functionName), (places.get(place(url, functionName)) ?? 0) + mine);
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + mine);
    // A function that appears at several depths of one stack is counted once per stack at most
    // approximately: recursion is rare on these paths.
    totalByFunction.set(key, (totalByFunction.get(key) ?? 0) + total(node));
  }
  const share = (n: number) => `${((n / totalSamples) * 100).toFixed(1).padStart(5)}%`;
  const list = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${share(v)}  ${k}`)
      .join('\n');
  return [
    `${totalSamples} samples, ${((totalSamples * perSampleMs) / 1000).toFixed(1)} s`,
    'self time by place:',
    list(places),
    'self time by function:',
    list(selfByFunction),
    'total time (self + callees) by function:',
    list(totalByFunction),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  for (const file of positionals) {
    process.stdout.write(
      `== ${file}\n${summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(values.top))}\n`,
    );
  }
}
