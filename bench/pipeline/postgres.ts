// bench:pipeline -- --ledger postgres: the gateway on PostgreSQL with 1, 2, 3… replicas on one
// database, beside the raw forwarder and the gateway on SQLite measured in the same run.
import { formatInt, formatMs, median, round, table } from '../shared/figures.js';
import { type PostgresSide, type Side, type SideRun, sideFigures } from './figures.js';

export const postgresSide = (replicas: number): PostgresSide => `postgres-${replicas}`;

/** How many gateways a side runs on one PostgreSQL database; 0: not a PostgreSQL side. */
export function replicasOf(side: Side): number {
  return side.startsWith('postgres-') ? Number(side.slice('postgres-'.length)) : 0;
}

export function summarisePostgres(runs: SideRun[], orders: number, replicas: number[]) {
  const raw = sideFigures(runs, 'raw', orders);
  const sqlite = sideFigures(runs, 'gateway', orders);
  const perCommand = (ms: number) => (ms * 1000) / orders;
  return {
    raw,
    gateway: { ...sqlite, ratio: round(sqlite.throughput / raw.throughput, 3) },
    postgres: replicas.map((count) => {
      const side = postgresSide(count);
      const mine = runs.filter((r) => r.mode === side && r.postgres);
      const figures = sideFigures(runs, side, orders);
      const totalUs = median(mine.map((r) => perCommand(r.sut.cpuMs + r.postgres!.backendsMs)));
      return {
        replicas: count,
        ...figures,
        ratio: round(figures.throughput / raw.throughput, 3),
        /** The gateways' CPU per command, all replicas together (childCpuUsPerCommand, named for what it is here). */
        gatewaysCpuUsPerCommand: figures.childCpuUsPerCommand,
        postgresCpuUsPerCommand: round(median(mine.map((r) => perCommand(r.postgres!.backendsMs))), 0),
        gatewaysAndPostgresCpuUsPerCommand: round(totalUs, 0),
        postgresBackgroundCpuUsPerCommand: round(median(mine.map((r) => perCommand(r.postgres!.backgroundMs))), 0),
        postgresBackends: median(mine.map((r) => r.postgres!.backends)),
        /** What one core of gateway and PostgreSQL work carries: 10⁶ / (gateway + PostgreSQL µs per command). */
        commandsPerCore: round(1e6 / totalUs, 0),
      };
    }),
  };
}

export function reportPostgres(summary: ReturnType<typeof summarisePostgres>, cores: number): string {
  const { raw, gateway, postgres } = summary;
  const column = (cells: (p: (typeof postgres)[number]) => string) => postgres.map(cells);
  const rows = [
    [
      'throughput (commands/s)',
      formatInt(raw.throughput),
      formatInt(gateway.throughput),
      ...column((p) => formatInt(p.throughput)),
    ],
    ['vs raw', '1.00', gateway.ratio.toFixed(2), ...column((p) => p.ratio.toFixed(2))],
    [
      'latency p50 / p99 (ms)',
      `${formatMs(raw.latencyP50Ms)} / ${formatMs(raw.latencyP99Ms)}`,
      `${formatMs(gateway.latencyP50Ms)} / ${formatMs(gateway.latencyP99Ms)}`,
      ...column((p) => `${formatMs(p.latencyP50Ms)} / ${formatMs(p.latencyP99Ms)}`),
    ],
    [
      'gateway CPU per command (µs)',
      `${raw.childCpuUsPerCommand}`,
      `${gateway.childCpuUsPerCommand}`,
      ...column((p) => `${p.gatewaysCpuUsPerCommand}`),
    ],
    ['PostgreSQL CPU per command (µs)', '', '', ...column((p) => `${p.postgresCpuUsPerCommand}`)],
    [
      'gateway + PostgreSQL (µs)',
      `${raw.childCpuUsPerCommand}`,
      `${gateway.childCpuUsPerCommand}`,
      ...column((p) => `${p.gatewaysAndPostgresCpuUsPerCommand}`),
    ],
    [
      'commands/s per core of that',
      formatInt(1e6 / raw.childCpuUsPerCommand),
      formatInt(1e6 / gateway.childCpuUsPerCommand),
      ...column((p) => formatInt(p.commandsPerCore)),
    ],
    ['PostgreSQL background (µs, shared)', '', '', ...column((p) => `${p.postgresBackgroundCpuUsPerCommand}`)],
    [
      'RabbitMQ CPU (% of a core)',
      `${raw.rabbitCpuPercent}`,
      `${gateway.rabbitCpuPercent}`,
      ...column((p) => `${p.rabbitCpuPercent}`),
    ],
  ];
  return [
    table(['', 'raw', 'gateway, SQLite', ...column((p) => `PostgreSQL, ${p.replicas} replica(s)`)], rows),
    '',
    "PostgreSQL CPU: the backends serving the bench's database (a fresh one per run, dropped after), from /proc over the",
    "  measured window; background: the server's WAL writer, checkpointer and background writer, shared with whatever else",
    '  uses the server. synchronous_commit on: a unit settles only after its commit is durable.',
    `note: this machine has ${cores} cores, shared by RabbitMQ, PostgreSQL, every replica and the load generator: more replicas`,
    '  cannot add throughput here, they split the same CPU (and wait on the same commits). What carries over to a bigger',
    '  machine is the CPU per command: with C cores free for the gateways and PostgreSQL, expect about C × "commands/s per',
    '  core" as long as RabbitMQ (its CPU above) and the commit latency are not the limit.',
  ].join('\n');
}
