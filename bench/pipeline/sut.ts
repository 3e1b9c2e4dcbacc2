/**
 * The system under test of bench/pipeline/main.ts, in its own process so that it never shares an event
 * loop with the load generator and the collector. Started by the parent with an IPC channel:
 *
 *   sut.ts --mode gateway --url AMQP_URL --ledger PATH|postgres://… [--diagnose] [--profile-window-dir DIR]
 *   sut.ts --mode raw     --url AMQP_URL [--profile-window-dir DIR]
 *
 * Both modes connect and declare the topology, report `ready`, and start consuming only on `go`,
 * so connection set-up is never part of a measurement.
 */
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { loadConfig, type Config, withGatewayOverrides } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { GroupCommit } from '../../src/ledger/sqlite/group-commit.js';
import type { Ledger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { FromSut, SutStats, ToSut } from './sut-protocol.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { failChild, stopAndExit } from '../shared/children.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    url: { type: 'string' },
    ledger: { type: 'string' },
    diagnose: { type: 'boolean', default: false },
    'profile-window-dir': { type: 'string' },
  },
});

function send(message: FromSut): void {
  process.send?.(message);
}

// An orphan must not outlive its parent (the parent kills it by PID too, this is the second line).
process.on('disconnect', () => process.exit(1));

let releaseGo!: () => void;
const go = new Promise<void>((done) => (releaseGo = done));
let startedAt = 0;
let cpuAtStart = process.cpuUsage();
let eluAtStart = performance.eventLoopUtilization();
let stop: () => Promise<void> = async () => undefined;
let statsOf: () => Pick<SutStats, 'commits' | 'flush'> = () => ({});

/** On V8's profile clock (µs, monotonic): a CPU profile's samples between go and stats are the measured ones. */
const profileClockUs = () => Number(process.hrtime.bigint() / 1000n);
let windowStartUs = 0;

function markStart(): void {
  windowStartUs = profileClockUs();
  startedAt = performance.now();
  cpuAtStart = process.cpuUsage();
  eluAtStart = performance.eventLoopUtilization();
}

function measure(): SutStats {
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    elapsedMs: performance.now() - startedAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopUtilization: performance.eventLoopUtilization(eluAtStart).utilization,
    ...statsOf(),
  };
}

/** For bench/shared/profile-shares.ts: which part of this process's --cpu-prof profile was measured. */
function writeProfileWindow(): void {
  const dir = args['profile-window-dir'];
  if (dir)
    writeFileSync(
      join(dir, `window.${process.pid}.json`),
      JSON.stringify({ startUs: windowStartUs, endUs: profileClockUs() }),
    );
}

process.on('message', (message: ToSut) => {
  switch (message.kind) {
    case 'go':
      markStart();
      releaseGo();
      return;
    case 'stats':
      send({ kind: 'stats', stats: measure() });
      writeProfileWindow();
      return;
    case 'stop':
      stopAndExit(stop);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`unknown message ${JSON.stringify(unknown)}`);
    }
  }
});

/** The gateway exactly as `orderbridge serve` starts it, with the config of config/ (see main()). */
async function runGateway(config: Config): Promise<void> {
  // startGateway() connects, declares, then registers its consumers: hold the first registration
  // until `go` so that the preloaded queue is not drained while the parent is still getting ready.
  // Nothing else of the gateway changes.
  const register = Broker.prototype.consume;
  if (typeof register !== 'function') throw new Error('Broker.prototype.consume is gone: update bench/pipeline/sut.ts');
  let announced = false;
  Broker.prototype.consume = async function gatedConsume(this: Broker, ...rest: Parameters<Broker['consume']>) {
    if (!announced) send({ kind: 'ready' });
    announced = true;
    await go;
    return register.apply(this, rest);
  };
  const flush = args.diagnose ? timeGroupCommits() : undefined;
  const logger = createLogger({ level: 'warn', destination: pino.destination(2) });
  const gateway: Gateway = await startGateway({ config, logger });
  // Counted since the ledger opened: before `go` only the watchdog or webhooks may have committed, a handful at most.
  const { commits } = gateway.ledger as Ledger;
  statsOf = () => ({
    commits: { batches: commits.batches, units: commits.units },
    ...(flush ? { flush: { ...flush } } : {}),
  });
  stop = () => gateway.stop();
}

/** --diagnose: wall time inside group-commit flushes and inside their units; the rest is BEGIN/COMMIT (WAL writes, fsync, checkpoints). */
function timeGroupCommits() {
  const totals = { totalMs: 0, unitsMs: 0, maxMs: 0 };
  const proto = GroupCommit.prototype as unknown as { flush(): void; runUnit(work: () => unknown): unknown };
  const { flush, runUnit } = proto;
  proto.flush = function timedFlush(this: GroupCommit) {
    const start = performance.now();
    try {
      flush.call(this);
    } finally {
      const took = performance.now() - start;
      totals.totalMs += took;
      totals.maxMs = Math.max(totals.maxMs, took);
    }
  };
  proto.runUnit = function timedUnit(this: GroupCommit, work: () => unknown) {
    const start = performance.now();
    try {
      return runUnit.call(this, work);
    } finally {
      totals.unitsMs += performance.now() - start;
    }
  };
  return totals;
}

/**
 * The baseline: what a careful forwarder without a ledger costs. Prefetch as the gateway's, every
 * message published on a confirm channel without waiting for it, the source acked in the confirm
 * callback (nacked back to the queue if the broker refused the publish).
 */
async function runRaw(config: Config, url: string): Promise<void> {
  const { exchanges, queues, prefetch } = config.gateway.amqp;
  const connection = await connect(url);
  const admin = await connection.createChannel();
  await declareTopology(admin, config.gateway.amqp);
  await admin.close();
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  await consumer.prefetch(prefetch);
  send({ kind: 'ready' });
  await go;
  await consumer.consume(queues.crmCommands, (message) => {
    if (!message) return;
    const { contentType, messageId, headers } = message.properties as {
      contentType?: string;
      messageId?: string;
      headers?: Record<string, unknown>;
    };
    publisher.publish(
      exchanges.mesCommands,
      message.fields.routingKey,
      message.content,
      { persistent: true, contentType, messageId, headers },
      (error) => {
        if (error) consumer.nack(message, false, true);
        else consumer.ack(message);
      },
    );
  });
  stop = () => connection.close().catch(() => undefined);
}

async function main(): Promise<void> {
  const { mode, url, ledger } = args;
  if (!url || (mode !== 'raw' && mode !== 'gateway') || (mode === 'gateway' && !ledger)) {
    throw new Error(
      'usage: sut.ts --mode raw|gateway --url AMQP_URL [--ledger PATH|postgres://…] [--diagnose] [--profile-window-dir DIR]',
    );
  }
  // Only where to connect, where the ledger goes, ephemeral HTTP and metrics ports (the gateway's API is
  // not under test, and a fixed port could be taken) and the acknowledgement deadline differ from
  // config/. No MES acknowledges in this bench: past the deadline (30 s, which a run on PostgreSQL or
  // with a big --orders outlasts) the watchdog would re-forward every command, and its work and the
  // duplicates would be measured as the pipeline's.
  const loaded = loadConfig({
    dir: defaultConfigDir,
    env: {
      AMQP_URL: url,
      ORDERBRIDGE_HTTP_PORT: '0',
      ORDERBRIDGE_METRICS_PORT: '0',
      ...(ledger?.startsWith('postgres://')
        ? { DATABASE_URL: ledger }
        : ledger
          ? { ORDERBRIDGE_LEDGER_PATH: ledger }
          : {}),
    },
  });
  const config = withGatewayOverrides(loaded, { acknowledgement: { deadline: '1h' } });
  if (mode === 'gateway') await runGateway(config);
  else await runRaw(config, url);
}

main().catch((error: unknown) => failChild('bench/pipeline/sut', error));
