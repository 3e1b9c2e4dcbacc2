// Where the benchmarks find the repository's files, whether they run compiled (dist-bench/, as
// `npm run bench:*` runs them) or from source under a TypeScript loader.
import { dirname, extname, resolve } from 'node:path';
import { packageRoot } from '../src/cli/package-root.js';

export const repoRoot = packageRoot(import.meta.filename);

/** The module at `path` (no extension) relative to the module `from`, in the form `from` runs in: .ts or .js. */
export function moduleBeside(from: string, path: string): string {
  return resolve(dirname(from), `${path}${extname(from)}`);
}
