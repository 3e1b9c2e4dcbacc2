import { runCli } from './main.js';
import { errorMessage } from '../shared/error-message.js';

// The process edge: the only place that hands process.env and the real streams to the CLI.
const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
};

try {
  process.exitCode = await runCli(process.argv.slice(2), io);
} catch (error) {
  io.err(`orderbridge: ${errorMessage(error)}`);
  process.exitCode = 2;
}
