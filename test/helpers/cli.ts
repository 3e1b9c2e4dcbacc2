import { runCli } from '../../src/cli/main.js';
import type { Env } from '../../src/config/index.js';

/** Runs the CLI in-process and captures what it printed. */
export async function runCliCaptured(argv: string[], env: Env = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: process.cwd() });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
