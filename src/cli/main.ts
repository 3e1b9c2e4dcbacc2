import { parseArgs } from 'node:util';
import { checkConfig } from './check-config.js';
import type { CliIo } from './io.js';

const usage = `Usage: orderbridge <command> [options]

Commands:
  check-config [--config DIR]   validate config/gateway.yaml and config/mapping.yaml, show the
                                MES state mapping and lint it (exit 0 clean, 1 findings, 2 invalid)
  help                          this text

Options:
  --config DIR   config directory (default: ORDERBRIDGE_CONFIG or ./config)`;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check-config': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } }, strict: true });
      return checkConfig(values.config ?? io.env.ORDERBRIDGE_CONFIG ?? 'config', io);
    }
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
