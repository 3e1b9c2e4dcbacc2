// The external programs the tests and benchmarks run, found on PATH (or where an ORDERBRIDGE_<TOOL>
// variable points), never at a hard-coded path. scripts/ensure-env.sh (npm test's pretest) installs
// the missing ones; a test run without it fails with one line naming the command.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Test } from 'tap';

/** Each tool, the variable that overrides where it is, and the Debian package it comes with. */
export const tools = {
  chromium: { env: 'ORDERBRIDGE_CHROMIUM', apt: 'chromium' },
  promtool: { env: 'ORDERBRIDGE_PROMTOOL', apt: 'prometheus' },
  prometheus: { env: 'ORDERBRIDGE_PROMETHEUS', apt: 'prometheus' },
  wrk: { env: 'ORDERBRIDGE_WRK', apt: 'wrk' },
  nginx: { env: 'ORDERBRIDGE_NGINX', apt: 'nginx' },
  'docker-compose': { env: 'ORDERBRIDGE_DOCKER_COMPOSE', apt: 'docker-compose' },
} as const;

export type ToolName = keyof typeof tools;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where `name` is: $ORDERBRIDGE_<NAME> (a path, or a command looked up on PATH), else PATH; undefined if nowhere. */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const command = env[tools[name].env] || name;
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(command);
    return executable(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, command);
    if (executable(path)) return path;
  }
  return undefined;
}

/** The one line that says how to get `name`. */
export function missingTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const { env: variable, apt } = tools[name];
  const where = env[variable] ? `${variable}=${env[variable]} is not an executable` : `${name} is not on PATH`;
  const by = name === 'wrk' || name === 'nginx' ? 'npm run bench:proxy' : 'npm test';
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  return `${where}: run \`${sudo}apt-get install -y ${apt}\` (${by} does it first, as root), or set ${variable} to its path`;
}

/** The tool's path; if it is missing, fails the test with that one line (no stack) and returns undefined. */
export function requireTool(t: Test, name: ToolName): string | undefined {
  const path = findTool(name);
  if (path === undefined) t.fail(missingTool(name), { diagnostic: false, stack: '', at: null });
  return path;
}

/** The tool's path, or an Error whose message is that one line (for the benchmarks). */
export function toolPath(name: ToolName): string {
  const path = findTool(name);
  if (path === undefined) throw new Error(missingTool(name));
  return path;
}
