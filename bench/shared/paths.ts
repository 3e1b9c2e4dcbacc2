// Where the benchmarks find the repository's files: they run compiled, from dist-bench/ (npm run bench:*),
// whose package root is the repository's.
import { packageRoot } from '../../src/cli/package-root.js';

export const repoRoot = packageRoot(import.meta.filename);
