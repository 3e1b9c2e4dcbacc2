import type { ConfigProblem } from './load-config.js';

/**
 * A config problem on one line, as compilers write them, so that editors and CI can jump to it:
 * `config/mes/reference/dialect.yaml:42:11: /states/S1/next/0: must be a string, found a number (fix: quote it: "10")`.
 * A value with no place in a file (set by an environment variable) starts with what holds it instead.
 * `code` names a lint finding's kind: `… : [forbidden_move] /states/…: …`.
 */
export function formatConfigProblem(
  { source, line, column, pointer, message, fix }: ConfigProblem,
  code?: string,
): string {
  const where = line === undefined ? source : `${source}:${line}${column === undefined ? '' : `:${column}`}`;
  const what = pointer === '(syntax)' ? '' : `${pointer || '/'}: `;
  return `${where}: ${code ? `[${code}] ` : ''}${what}${message} (fix: ${fix})`;
}
