// Part 1's load generator: wrk (C, closed loop, keep-alive), its figures read from a Lua done() hook.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { track } from '../shared/children.js';
import { processCpuMs } from '../shared/cpu.js';
import { pinned } from '../shared/children.js';
import { toolPath } from '../../test/helpers/tools.js';

export interface WrkRequest {
  path: string;
  key: string;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Non-2xx answers plus connect/read/write errors and timeouts. */
  errors: number;
  /** CPU used by wrk itself, in % of one core (sampled from /proc while it ran). */
  cpuPercent?: number;
}

/** A Lua script that sends one of `requests`, chosen uniformly at random, on every call. */
export function writeWrkScript(file: string, requests: WrkRequest[]): void {
  const lines = requests.map(({ path, key }) => `add(${JSON.stringify(path)}, ${JSON.stringify(key)})`);
  // Formatted in init(): before it wrk.format() knows no host, and Node refuses requests without Host.
  writeFileSync(
    file,
    `local r = {}
local n = 0
local function add(path, key) r[#r + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key }) end
init = function(args)
${lines.join('\n')}
n = #r
end
request = function() return r[math.random(n)] end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
`,
  );
}

/** Runs wrk for `seconds` against `url` with the script, optionally pinned to some CPUs. */
export async function runWrk(options: {
  url: string;
  script: string;
  seconds: number;
  connections: number;
  cpus?: string;
}): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    options.script,
    options.url,
  ];
  const [command, argv] = pinned(options.cpus, toolPath('wrk'), args); // on PATH, or $ORDERBRIDGE_WRK
  const child = track(spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const started = performance.now();
  let cpu: { ms: number; at: number } | undefined;
  const sampler = setInterval(() => {
    const ms = child.pid === undefined ? undefined : processCpuMs(child.pid);
    if (ms !== undefined) cpu = { ms, at: performance.now() - started };
  }, 250);
  const code = await new Promise<number | null>((done, reject) => {
    child.once('error', (error) => reject(new Error(`could not run wrk (apt-get install wrk): ${error.message}`)));
    child.once('exit', done);
  });
  clearInterval(sampler);
  const line = out.split('\n').find((l) => l.startsWith('WRK '));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
  const raw = JSON.parse(line.slice(4)) as {
    requests: number;
    durationUs: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    errors: number;
  };
  const seconds = raw.durationUs / 1e6;
  return {
    requests: raw.requests,
    seconds,
    requestsPerSecond: raw.requests / seconds,
    latencyMs: { p50: raw.p50 / 1000, p90: raw.p90 / 1000, p99: raw.p99 / 1000, max: raw.max / 1000 },
    errors: raw.errors,
    ...(cpu && cpu.at > 0 ? { cpuPercent: (cpu.ms / cpu.at) * 100 } : {}),
  };
}
