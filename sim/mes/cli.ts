import type { CliIo } from '../../src/shared/cli-io.js';
import { parseMesArgs, mesUsage } from './options.js';
import { startMesSimulator } from './simulator.js';
import type { MesStats } from './stats.js';

export interface MesCliHooks {
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopRequested: Promise<unknown>;
  /** What --crash-after does. */
  crash: () => void;
}

/** `sim mes`: runs the MES simulator until asked to stop. */
export async function runMesCli(args: string[], io: CliIo, hooks: MesCliHooks): Promise<number> {
  const settings = parseMesArgs(args, io.env);
  if (settings === 'help') {
    io.out(mesUsage);
    return 0;
  }
  const sim = await startMesSimulator({ ...settings, log: io.err, onCrash: hooks.crash });
  // A lost RabbitMQ connection is reconnected, however long it takes: only a stop request ends the run.
  await hooks.stopRequested;
  io.err('MES simulator: stopping, finishing the commands in flight');
  await sim.stop();
  io.out(summary(sim.stats()));
  return 0;
}

function summary(stats: MesStats): string {
  const states = Object.entries(stats.ordersByState)
    .map(([state, count]) => `${state} ${count}`)
    .join(', ');
  return `MES simulator: ${stats.commandsReceived} commands (${stats.duplicateCommands} duplicate, ${stats.invalidCommands} invalid, ${stats.droppedCommands} dropped), ${stats.eventsPublished} events published; orders: ${states || 'none'}`;
}
