import { runSim } from '../../sim/cli.js';
import { checkConfigCommand } from './check-config.js';
import { runDemo } from './demo.js';
import type { CliIo } from './io.js';
import { serve } from './serve.js';
import { timeline } from './timeline.js';
import { report } from './report.js';
import { deadLetters, replay } from './dead-letters.js';
import { testMapping } from './test-mapping.js';
import { packageVersion } from '../shared/package-version.js';

const usage = `Usage: orderbridge <command> [options]

Commands:
  demo [--config DIR]           the gateway with the reference CRM and MES simulators, faults on,
                                and a live summary (about a minute; purges the gateway's queues)
  serve [--config DIR]          run the gateway (RabbitMQ pipeline, ledger, watchdog) until SIGTERM
  sim mes|crm [options]         run the reference MES or CRM simulator (sim --help for options)
  report [--since 24h] [--format text|html|json|csv] [--out FILE] [--lang en|ru]
                                the ledger reconciliation report: counts, latency, discrepancies
                                with suggested actions, checked against the MES (report --help)
  timeline ORDER_ID [--json]    every message, ack, redelivery, status change, flag and webhook
                                attempt of one order, with trace ids (reads the ledger)
  dead-letters [--reason R]     the dead-letter queue grouped by reason (nothing is taken out)
  replay --id ID | --reason R   re-inject dead letters where they came from, after a fix
  check-config [--config DIR]   validate config/gateway.yaml and its MES dialect, show the
                                MES state mapping and lint it (exit 0 clean, 1 findings, 2 invalid)
  test-mapping [--config DIR] [--dialect mes/NAME] [--cases FILE]
                                run the dialect's test cases (tests.yaml beside its dialect.yaml):
                                MES events in, statuses/acks/quarantine out; CRM commands in, MES
                                commands out; a diff per failing case (exit 0 pass, 1 fail, 2 invalid)
  test-mapping --against-ledger --baseline mes/DEPLOYED [--since 7d] [--dialect mes/NAME]
                                run the changed dialect and the deployed one over the MES messages
                                the ledger kept; list the orders that would end differently (exit 1)
  help [COMMAND]                this text, or the command's (as COMMAND --help)

Every command answers --help with its usage and options.

Options:
  --config DIR   config directory (default: ORDERBRIDGE_CONFIG or ./config)
  --version, -v  the installed version`;

type Command = (args: string[], io: CliIo) => number | Promise<number>;

/** Every subcommand, as the usage above lists them; each answers --help with its own usage. */
const commands: Record<string, Command> = {
  demo: runDemo,
  serve,
  sim: runSim,
  report,
  timeline,
  'dead-letters': deadLetters,
  replay,
  'check-config': checkConfigCommand,
  'test-mapping': testMapping,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(commands, command)) return commands[command]!(rest, io);
  switch (command) {
    case '--version':
    case '-v':
    case 'version':
      io.out(packageVersion());
      return 0;
    case 'help':
      // `help COMMAND` is `COMMAND --help`.
      if (rest[0] !== undefined && Object.hasOwn(commands, rest[0])) return commands[rest[0]]!(['--help'], io);
      io.out(usage);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      io.out(usage);
      return command === undefined ? 2 : 0;
    default:
      if (command.startsWith('-')) {
        io.err(
          `orderbridge: unknown option ${command.split('=')[0]} (orderbridge --help lists the commands and options)`,
        );
        return 2;
      }
      io.err(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
      return 2;
  }
}
