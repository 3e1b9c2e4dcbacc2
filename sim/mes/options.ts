import { parseArgs } from 'node:util';
import type { Env } from '../../src/config/index.js';
import { defaultAmqpUrl } from '../shared/broker.js';
import { numberFlag, optionalIntegerFlag, shareFlag, UsageError } from '../shared/options.js';

export interface MesSettings {
  amqpUrl: string;
  /** The queue of MES commands; the gateway declares it. */
  queue: string;
  /** The exchange the MES publishes its events to. */
  exchange: string;
  host: string;
  /** HTTP port of the MES API; 0 picks a free one. */
  port: number;
  /** Mean time an order spends in one state (jittered ±50%). */
  stepMs: number;
  /** Period of the production loop. */
  tickMs: number;
  /** Fixes every fault selection and the jitter. */
  seed: number;
  dropShare: number;
  stallShare: number;
  rejectShare: number;
  errorShare: number;
  /** Orders that fail their first quality inspection and are reworked. */
  qcFailShare: number;
  duplicateShare: number;
  reorderWindow: number;
  /** Kill the process after this many handled commands (CLI only). */
  crashAfter?: number;
  apiLatencyMs: number;
  /** How long to wait for the gateway to declare the queue. */
  waitMs: number;
  prefetch: number;
}

export const mesDefaults: MesSettings = {
  amqpUrl: defaultAmqpUrl,
  queue: 'mes.order-commands',
  exchange: 'mes.events',
  host: '127.0.0.1',
  port: 8090,
  stepMs: 1000,
  tickMs: 25,
  seed: 1,
  dropShare: 0,
  stallShare: 0,
  rejectShare: 0,
  errorShare: 0,
  qcFailShare: 0.1,
  duplicateShare: 0,
  reorderWindow: 0,
  apiLatencyMs: 20,
  waitMs: 30000,
  prefetch: 256,
};

export const mesUsage = `Usage: orderbridge sim mes [options]

The reference MES: consumes MES commands from the queue the gateway declares, walks every order
through the production workflow, publishes its events, and serves an HTTP API.

Options:
  --amqp-url URL[,URL…]    RabbitMQ: one node, or a cluster's nodes (default: AMQP_URL or ${defaultAmqpUrl})
  --queue NAME             command queue to consume (default: ${mesDefaults.queue})
  --exchange NAME          exchange for MES events (default: ${mesDefaults.exchange})
  --port N                 HTTP API port, 0 = any free port (default: ${mesDefaults.port})
  --host HOST              HTTP API address (default: ${mesDefaults.host})
  --step-ms MS             mean time per workflow step, jittered ±50% (default: ${mesDefaults.stepMs})
  --seed N                 fixes fault selection and jitter (default: ${mesDefaults.seed})
  --qc-fail-share S        orders that fail QC once and are reworked (default: ${mesDefaults.qcFailShare})
  --wait-ms MS             how long to wait for the gateway to declare the queue (default: ${mesDefaults.waitMs})
  --prefetch N             unacknowledged commands in flight (default: ${mesDefaults.prefetch})

Fault switches (shares are in [0, 1]; the orders hit are fixed by --seed and the order id):
  --drop-share S           commands lost inside the MES: acked, no record, no event
  --stall-share S          orders accepted that never progress
  --reject-share S         orders rejected with NO_CAPACITY
  --error-share S          orders that hit a PROCESSING_ERROR and resume two steps later
  --duplicate-share S      events published twice with the same eventId
  --reorder-window N       events published shuffled within windows of N; a partial window goes
                           out after 200 ms without new events (at most 2 s after its first)
  --crash-after N          SIGKILL the process right after acking the Nth command
  --api-latency-ms MS      base API latency; it grows with the request rate (default: ${mesDefaults.apiLatencyMs})
  --help                   this text`;

/** Parses `sim mes` flags; throws UsageError with a message naming the bad flag. */
export function parseMesArgs(args: string[], env: Env): MesSettings | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      'amqp-url': { type: 'string' },
      queue: { type: 'string' },
      exchange: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'step-ms': { type: 'string' },
      seed: { type: 'string' },
      'qc-fail-share': { type: 'string' },
      'wait-ms': { type: 'string' },
      prefetch: { type: 'string' },
      'drop-share': { type: 'string' },
      'stall-share': { type: 'string' },
      'reject-share': { type: 'string' },
      'error-share': { type: 'string' },
      'duplicate-share': { type: 'string' },
      'reorder-window': { type: 'string' },
      'crash-after': { type: 'string' },
      'api-latency-ms': { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const settings: MesSettings = {
    ...mesDefaults,
    amqpUrl: values['amqp-url'] ?? env.AMQP_URL ?? defaultAmqpUrl,
    queue: values.queue ?? mesDefaults.queue,
    exchange: values.exchange ?? mesDefaults.exchange,
    host: values.host ?? mesDefaults.host,
    port: numberFlag('port', values.port, mesDefaults.port, { integer: true, min: 0, max: 65535 }),
    stepMs: numberFlag('step-ms', values['step-ms'], mesDefaults.stepMs, { integer: true, min: 1, max: 86_400_000 }),
    seed: numberFlag('seed', values.seed, mesDefaults.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    qcFailShare: shareFlag('qc-fail-share', values['qc-fail-share'], mesDefaults.qcFailShare),
    waitMs: numberFlag('wait-ms', values['wait-ms'], mesDefaults.waitMs, { integer: true, min: 0 }),
    prefetch: numberFlag('prefetch', values.prefetch, mesDefaults.prefetch, { integer: true, min: 1, max: 65535 }),
    dropShare: shareFlag('drop-share', values['drop-share']),
    stallShare: shareFlag('stall-share', values['stall-share']),
    rejectShare: shareFlag('reject-share', values['reject-share']),
    errorShare: shareFlag('error-share', values['error-share']),
    duplicateShare: shareFlag('duplicate-share', values['duplicate-share']),
    reorderWindow: numberFlag('reorder-window', values['reorder-window'], 0, { integer: true, min: 0, max: 10000 }),
    crashAfter: optionalIntegerFlag('crash-after', values['crash-after'], { min: 1 }),
    apiLatencyMs: numberFlag('api-latency-ms', values['api-latency-ms'], mesDefaults.apiLatencyMs, {
      integer: true,
      min: 0,
      max: 60000,
    }),
  };
  checkFaultShares(settings);
  return settings;
}

/** The order faults exclude each other, so together they cannot hit more than every order. */
export function checkFaultShares(
  settings: Pick<MesSettings, 'dropShare' | 'stallShare' | 'rejectShare' | 'errorShare'>,
): void {
  const total = settings.dropShare + settings.stallShare + settings.rejectShare + settings.errorShare;
  if (total > 1 + 1e-9) {
    throw new UsageError(
      `--drop-share, --stall-share, --reject-share and --error-share add up to ${Number(total.toFixed(6))}; each order gets at most one of these faults, so they must add up to 1 or less`,
    );
  }
}
