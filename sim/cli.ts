import type { CliIo } from '../src/shared/cli-io.js';
import { BrokerUnreachable, QueueMissing } from './shared/broker.js';
import { UsageError } from './shared/options.js';
import { runCrmCli } from './crm/cli.js';
import { runMesCli } from './mes/cli.js';
import { errorMessage } from '../src/shared/error-message.js';
import { isParseArgsError, usageErrorLine } from '../src/shared/command-line.js';

export const simExitCodes = { ok: 0, failed: 1, usage: 2, brokerUnreachable: 3 } as const;

export const simUsage = `Usage: orderbridge sim <mes|crm> [options]

  mes   the reference MES: consumes MES commands, walks orders through production, publishes
        events, serves an HTTP API; fault switches for lost, stuck, rejected, errored orders,
        duplicated and reordered events, and crashes. Runs until SIGTERM.
  crm   the reference CRM: sends orders, follows their external events, reports delivery, and
        ends with a report once every order has a final answer.

orderbridge sim mes --help and orderbridge sim crm --help list the options.
Exit codes: 0 done, 1 failed (queue missing), 2 bad options, 3 RabbitMQ unreachable.`;

export interface RunSimHooks {
  /** Resolves when the simulator should stop; default: SIGTERM or SIGINT. */
  stopRequested?: Promise<unknown>;
  /** What `mes --crash-after` does; default: SIGKILL this process. */
  crash?: () => void;
  /** Default: whether stdout is a terminal. */
  isTTY?: boolean;
}

/** `orderbridge sim mes|crm …`; argv starts with the simulator's name. */
export async function runSim(argv: string[], io: CliIo, hooks: RunSimHooks = {}): Promise<number> {
  const [which, ...args] = argv;
  if (which === undefined || which === 'help' || which === '--help' || which === '-h') {
    io.out(simUsage);
    return which === undefined ? simExitCodes.usage : simExitCodes.ok;
  }
  if (which.startsWith('-')) {
    io.err(`orderbridge sim: unknown option ${which.split('=')[0]} (orderbridge sim --help shows the usage)`);
    return simExitCodes.usage;
  }
  if (which !== 'mes' && which !== 'crm') {
    io.err(`Unknown simulator ${JSON.stringify(which)}.\n\n${simUsage}`);
    return simExitCodes.usage;
  }
  const signals = hooks.stopRequested ? undefined : terminationSignals();
  const stopRequested = hooks.stopRequested ?? signals!.received;
  try {
    return which === 'mes'
      ? await runMesCli(args, io, { stopRequested, crash: hooks.crash ?? (() => process.kill(process.pid, 'SIGKILL')) })
      : await runCrmCli(args, io, { stopRequested, isTTY: hooks.isTTY ?? Boolean(process.stdout.isTTY) });
  } catch (error) {
    if (isParseArgsError(error)) {
      io.err(usageErrorLine(`sim ${which}`, error));
      return simExitCodes.usage;
    }
    if (error instanceof UsageError) {
      io.err(`orderbridge sim ${which}: ${errorMessage(error)} (orderbridge sim ${which} --help shows the usage)`);
      return simExitCodes.usage;
    }
    if (error instanceof BrokerUnreachable) {
      io.err(error.message);
      return simExitCodes.brokerUnreachable;
    }
    if (error instanceof QueueMissing) {
      io.err(error.message);
      return simExitCodes.failed;
    }
    throw error;
  } finally {
    signals?.dispose();
  }
}

function terminationSignals() {
  let onSignal!: () => void;
  const received = new Promise<void>((resolve) => (onSignal = resolve));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    received,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
