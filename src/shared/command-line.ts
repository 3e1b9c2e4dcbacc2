import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli-io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One subcommand's command line: how it is typed after `orderbridge`, its usage text and its options. */
export interface CommandLine<O extends Options, P extends boolean> {
  /** As typed: `timeline`, `sim mes`. */
  command: string;
  /** What `--help` prints: starts with `Usage: orderbridge …`. */
  usage: string;
  /** The command's own options; `--help` (`-h`) is every command's. */
  options: O;
  allowPositionals?: P;
}

type Parsed<O extends Options, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: P; strict: true }>
>;

/** The line `--config DIR` has in every usage text. */
export const configOptionUsage = '--config DIR   config directory (default: ORDERBRIDGE_CONFIG or ./config)';

/**
 * Parses a subcommand's arguments strictly. `--help` or `-h` (anywhere before `--`) prints the usage
 * to stdout and gives exit code 0; an unknown option, a missing value or a stray argument prints one
 * line naming it and pointing at `--help`, and gives 2. Otherwise the parsed values and positionals.
 */
export function parseCommandLine<const O extends Options, const P extends boolean = false>(
  line: CommandLine<O, P>,
  args: string[],
  io: Pick<CliIo, 'out' | 'err'>,
): Parsed<O, P> | 0 | 2 {
  const end = args.indexOf('--');
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')) {
    io.out(line.usage);
    return 0;
  }
  try {
    return parseArgs({
      args,
      options: line.options,
      allowPositionals: (line.allowPositionals ?? false) as P,
      strict: true,
    });
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    io.err(usageErrorLine(line.command, error));
    return 2;
  }
}

/** node:util parseArgs's own errors (unknown option, missing value, unexpected argument). */
export function isParseArgsError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** `orderbridge COMMAND: what is wrong (orderbridge COMMAND --help shows the usage)`, on one line. */
export function usageErrorLine(command: string, error: Error & { code?: string }): string {
  const named = /'([^']+)'/.exec(error.message)?.[1];
  const option = named?.split(' ')[0];
  let problem: string;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) problem = `unknown option ${option}`;
  else if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && named)
    problem = `unexpected argument ${JSON.stringify(named)}`;
  else if (
    error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' &&
    option &&
    /argument (missing|is ambiguous)/.test(error.message)
  )
    problem = `option ${option} needs a value`;
  else if (
    error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' &&
    option &&
    /does not take an argument/.test(error.message)
  )
    problem = `option ${option} takes no value`;
  else problem = firstSentence(error.message);
  const prefix = `orderbridge ${command}`.trim();
  return `${prefix}: ${problem} (${prefix} --help shows the usage)`;
}

/** The message up to its first full stop, on one line: parseArgs explains more in the sentences after. */
function firstSentence(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  const stop = line.search(/\.\s/);
  return stop === -1 ? line.replace(/\.$/, '') : line.slice(0, stop);
}
