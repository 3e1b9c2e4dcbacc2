import { startGateway, type Gateway } from '../gateway.js';
import { LedgerUrlMissingError, PostgresUnreachableError } from '../ledger/index.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';
import { createLogger } from '../telemetry/logger.js';
import { flushTraces } from '../telemetry/tracing.js';
import { configDirFrom, loadWorkingConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';

export const rabbitmqHint =
  'start it with `rabbitmq-server -detached` (then `rabbitmqctl await_startup`), or set AMQP_URL';

export const serveUsage = `Usage: orderbridge serve [--config DIR]
  Runs the gateway (RabbitMQ pipeline, ledger, watchdog, partner HTTP API, /metrics) until SIGTERM
  or SIGINT, then drains and exits 0. While RabbitMQ is out of reach it keeps retrying (/healthz 200,
  /readyz 503). Refuses a config check-config calls invalid (exit 2); exits 1 when the PostgreSQL
  ledger (ledger.url, DATABASE_URL) cannot be reached at start.
  ${configOptionUsage}`;

/**
 * `orderbridge serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. While
 * RabbitMQ is out of reach it keeps retrying with capped backoff (/healthz 200, /readyz 503).
 */
export async function serve(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    { command: 'serve', usage: serveUsage, options: { config: { type: 'string' } } },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const configDir = configDirFrom(parsed.values.config, io);
  // A dialect check-config calls invalid (no event readable, no valid command of a type) is refused here too.
  const config = loadWorkingConfigOrReport(configDir, io);
  if (!config) return 2;
  const logger = createLogger({ level: io.env.ORDERBRIDGE_LOG_LEVEL ?? 'info' });
  // A service outlives a broker that is not up yet: live at once, ready once RabbitMQ answers.
  let gateway: Gateway;
  try {
    gateway = await startGateway({ config, logger, waitForBroker: true });
  } catch (error) {
    // Unlike RabbitMQ, the ledger must answer at start: every message the gateway takes is written there first.
    if (!(error instanceof PostgresUnreachableError || error instanceof LedgerUrlMissingError)) throw error;
    io.err(`orderbridge serve: ${error.message}`);
    return error instanceof LedgerUrlMissingError ? 2 : 1;
  }
  await new Promise<void>((done) => {
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  await gateway.stop();
  await flushTraces();
  return 0;
}
