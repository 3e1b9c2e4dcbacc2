import { Broker } from '../adapters/rabbitmq/broker.js';
import { withDeadLetterQueue } from '../adapters/rabbitmq/dead-letter-queue.js';
import { brokerUrls, type Config } from '../config/index.js';
import { createOpsServices, type OpsServices } from '../app/ops-services.js';
import { groupByReason, type DeadLetter } from '../app/replay-dead-letters.js';
import { silentLogger } from '../telemetry/logger.js';
import { configDirFrom, loadConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';
import { ledgerNotFoundExitCode, openExistingLedger } from './open-ledger.js';
import { rabbitmqHint } from './serve.js';
import { errorMessage } from '../shared/error-message.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

export const deadLettersUsage = `Usage: orderbridge dead-letters [--reason R] [--json] [--config DIR]
  Lists the messages in the dead-letter queue grouped by reason (invalid, too_large, undecodable,
  refused), with the error, where each came from and how often it was replayed; takes nothing out
  of the queue. orderbridge replay re-injects them after a fix.
  --reason R     only the dead letters with this reason
  --json         one JSON object: the total and the groups with their letters
  ${configOptionUsage}
  Exit 0 listed, 2 bad usage or config, 3 RabbitMQ unreachable.`;

export const replayUsage = `Usage: orderbridge replay --id ID | --reason R [--config DIR]
  Re-injects dead letters where they came from, after a fix (a mapping, a config, the order they
  were waiting for); each replay is noted in the ledger, and one that fails again returns to the
  dead letters with its replay count.
  --id ID        the one dead letter with this id (orderbridge dead-letters lists them)
  --reason R     every dead letter with this reason
  ${configOptionUsage}
  Exit 0 replayed, 1 nothing (or not everything) replayed, 2 bad usage or config, 3 RabbitMQ unreachable.`;

export async function deadLetters(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    {
      command: 'dead-letters',
      usage: deadLettersUsage,
      options: { reason: { type: 'string' }, json: { type: 'boolean', default: false }, config: { type: 'string' } },
    },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  return withOps(values.config, io, { ledger: false }, async (ops, config) => {
    const letters = (await ops.deadLetters()).filter((l) => values.reason === undefined || l.reason === values.reason);
    const groups = groupByReason(letters);
    if (values.json) io.out(JSON.stringify({ total: letters.length, groups }, null, 2));
    else if (!letters.length)
      io.out(
        `No dead letters${values.reason ? ` with reason ${values.reason}` : ''} in ${config.gateway.amqp.queues.deadLetter}.`,
      );
    else
      for (const group of groups) {
        io.out(`${group.reason}: ${group.count}`);
        for (const letter of group.letters) io.out(`  ${describe(letter)}`);
      }
    return 0;
  });
}

export async function replay(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    {
      command: 'replay',
      usage: replayUsage,
      options: { id: { type: 'string' }, reason: { type: 'string' }, config: { type: 'string' } },
    },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { id, reason, config: configDir } = parsed.values;
  if ((id === undefined) === (reason === undefined)) {
    io.err('orderbridge replay: give --id ID or --reason R, one of them (orderbridge replay --help shows the usage)');
    return 2;
  }
  return withOps(configDir, io, { ledger: true }, async (ops) => {
    const result = await ops.replay((l) => (id !== undefined ? l.id === id : l.reason === reason));
    for (const letter of result.replayed) io.out(`replayed ${describe(letter)}`);
    for (const { letter, problem } of result.refused) io.err(`not replayed ${letter.id}: ${problem}`);
    if (result.refused.length) {
      io.out(
        `${result.replayed.length} replayed; ${result.refused.length} refused; ${result.kept} left in the dead letters.`,
      );
      return 1;
    }
    if (!result.replayed.length) {
      io.err(
        `No dead letter ${id !== undefined ? `with id ${id}` : `with reason ${reason}`} (${result.kept} in the queue): orderbridge dead-letters lists them.`,
      );
      return 1;
    }
    io.out(`${result.replayed.length} replayed; ${result.kept} left in the dead letters.`);
    return 0;
  });
}

function describe(letter: DeadLetter): string {
  return `${letter.id}  ${letter.channel}${letter.orderId ? ` order ${letter.orderId}` : ''}  from ${letter.exchange} ${letter.routingKey}${letter.replays ? `  replayed ${letter.replays}×` : ''}  ${letter.error.slice(0, 200)}`;
}

/** The ops services over the broker (through Broker, as the gateway's) and, for a replay, the ledger; closed after the work. */
async function withOps(
  configDir: string | undefined,
  io: CliIo,
  needs: { ledger: boolean },
  work: (ops: OpsServices, config: Config) => Promise<number>,
): Promise<number> {
  const config = loadConfigOrReport(configDirFrom(configDir, io), io, { secrets: 'skip' });
  if (!config) return 2;
  const { amqp } = config.gateway;
  const broker = new Broker({ urls: brokerUrls(amqp), amqp, logger: silentLogger, initialRetries: 0 });
  try {
    await broker.start();
  } catch (error) {
    io.err(`orderbridge: ${errorMessage(error)} — ${rabbitmqHint}`);
    return 3;
  }
  const ledger = needs.ledger ? await openExistingLedger(config, io, 'write') : undefined;
  try {
    if (needs.ledger && !ledger) return ledgerNotFoundExitCode;
    const deadLetterQueue = <T>(use: Parameters<typeof withDeadLetterQueue<T>>[2]) =>
      broker.withConnection((model) => withDeadLetterQueue(model, amqp.queues.deadLetter, use));
    return await work(createOpsServices({ config, ...(ledger ? { ledger } : {}), deadLetterQueue }), config);
  } finally {
    await ledger?.close();
    await broker.close();
  }
}
