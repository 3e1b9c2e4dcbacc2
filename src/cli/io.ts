import type { Env } from '../config/index.js';

/** What a CLI command may touch: its output streams and the environment, passed in so tests can run it in-process. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Env;
  cwd: string;
}

export function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}
