// Where a process's busy time went, by part of the gateway, from the V8 CPU profiles a benchmark's
// --cpu-prof wrote: the "profile that shows why" of a goal missed, as a table.
//   node dist-bench/bench/shared/profile-shares.js PROFILE.cpuprofile [MORE.cpuprofile …]
// A profile covers its process's whole life; where bench:pipeline's child wrote which part of it
// was measured (window.PID.json beside the profile: from `go` to the throughput's end), only that
// part counts. Idle time is left out of the shares.
// Native code has no frame of its own: its time counts to the JavaScript that called it, so an
// SQLite statement counts to the ledger code that ran it, a write() to the stream that made it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatInt } from './figures.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** On V8's profile clock (µs): the samples that count. */
interface Window {
  startUs: number;
  endUs: number;
}

/** The parts, first match wins: a frame's script path (or V8's own pseudo-frames) → its part. */
const parts: [RegExp, string][] = [
  [/^\(garbage collector\)$/, 'garbage collection'],
  [/^\(idle\)$/, 'idle'],
  [
    /\/src\/ledger\/|node_modules\/better-sqlite3\/|node_modules\/pg/,
    'ledger (SQLite or PostgreSQL, their statements included)',
  ],
  [
    /node_modules\/@opentelemetry\/|\/src\/telemetry\/(tracing|messaging-spans|otel-)/,
    'tracing (OpenTelemetry SDK, spans, OTLP)',
  ],
  [/node_modules\/amqplib\/|\/src\/adapters\/rabbitmq\//, 'AMQP (amqplib, the broker adapter)'],
  [/node_modules\/ajv|\/src\/contracts\//, 'input checks (JSON, JSON Schema)'],
  [/\/src\/(app|mapping)\//, 'handlers and dialect mapping'],
  [/node_modules\/prom-client\/|\/src\/telemetry\//, 'metrics and logs'],
  [/^node:(internal\/)?(net|stream|streams\/|stream_base_commons|_stream)/, 'Node.js sockets and streams'],
  [/^node:(internal\/)?(process\/task_queues|timers|async_hooks|events)/, 'Node.js promises, ticks, timers, events'],
  [/^node:(internal\/)?(fs|buffer)/, 'Node.js buffers and files'],
  [/^node:/, 'Node.js, the rest (modules, crypto, …)'],
];

function partOf(frame: ProfileNode['callFrame']): string | undefined {
  if (!frame.url) {
    const pseudo = parts.find(([pattern]) => pattern.test(frame.functionName));
    return pseudo?.[1];
  }
  return parts.find(([pattern]) => pattern.test(frame.url))?.[1] ?? 'other JavaScript';
}

/** Milliseconds of samples per part (idle included, under "idle"), of those in `window` if given. */
export function profileParts(profile: CpuProfile, window?: Window): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const resolved = new Map<number, string>();
  const part = (id: number): string => {
    const known = resolved.get(id);
    if (known) return known;
    const own = partOf(byId.get(id)!.callFrame);
    const parent = parentOf.get(id);
    const found = own ?? (parent === undefined ? 'other (V8, native)' : part(parent));
    resolved.set(id, found);
    return found;
  };
  const ms = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.startUs || at > window.endUs)) return;
    const name = part(id);
    ms.set(name, (ms.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  return ms;
}

/** The measured window bench:pipeline's child wrote beside its profile (CPU.date.time.PID.thread.n.cpuprofile). */
function windowOf(file: string): Window | undefined {
  const pid = basename(file).split('.')[3];
  const path = join(dirname(file), `window.${pid}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Window) : undefined;
}

function describe(file: string): string {
  const window = windowOf(file);
  const ms = profileParts(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, window);
  const idle = ms.get('idle') ?? 0;
  ms.delete('idle');
  const busy = [...ms.values()].reduce((sum, value) => sum + value, 0);
  const rows = [...ms].sort((a, b) => b[1] - a[1]);
  return [
    `${basename(file)}${window ? ', measured window' : ', whole life'}: ${formatInt(busy)} ms busy, ${formatInt(idle)} ms idle`,
    ...rows.map(([name, value]) => `  ${((100 * value) / busy).toFixed(1).padStart(5)} %  ${name}`),
  ].join('\n');
}

const files = process.argv.slice(2);
if (!files.length) {
  process.stderr.write(
    'usage: node dist-bench/bench/shared/profile-shares.js PROFILE.cpuprofile [MORE.cpuprofile …]\n',
  );
  process.exit(2);
}
process.stdout.write(`${files.map(describe).join('\n\n')}\n`);
