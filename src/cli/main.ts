import { parseArgs } from 'node:util';
import { runSim } from '../../sim/cli.js';
import { checkConfig, configDirFrom } from './check-config.js';
import { runDemo } from './demo.js';
import type { CliIo } from './io.js';
import { serve } from './serve.js';
import { timeline } from './timeline.js';
import { report, reportUsage } from './report.js';
import { deadLetters, replay } from './dead-letters.js';
import { testMapping } from './test-mapping.js';

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
  help                          this text

Options:
  --config DIR   config directory (default: ORDERBRIDGE_CONFIG or ./config)`;

function configDirOf(args: string[], io: CliIo): string {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } }, strict: true });
  return configDirFrom(values.config, io);
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check-config':
      return checkConfig(configDirOf(rest, io), io);
    case 'test-mapping':
      return testMapping(rest, io);
    case 'serve':
      return serve(configDirOf(rest, io), io);
    case 'demo':
      return runDemo(configDirOf(rest, io), io);
    case 'sim':
      return runSim(rest, io);
    case 'timeline':
      return timeline(rest, io);
    case 'dead-letters':
      return deadLetters(rest, io);
    case 'replay':
      return replay(rest, io);
    case 'report':
      if (rest.includes('--help')) {
        io.out(reportUsage);
        return 0;
      }
      return report(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(usage);
      return command === undefined ? 2 : 0;
    default:
      io.err(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
      return 2;
  }
}
