import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/cli/package-root.js';

/** The repository's config/, from the source tree or a compiled copy of it (dist-bench/). */
export const defaultConfigDir = join(packageRoot(import.meta.filename), 'config');

/** The reference MES dialect's file, inside a config folder. */
export const referenceDialect = 'mes/reference/dialect.yaml';

/** A throwaway copy of the default config; `edit` rewrites one file's text. Removed by `remove`. */
export function copyConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-config-'));
  cpSync(defaultConfigDir, dir, { recursive: true });
  return {
    dir,
    edit(file: 'gateway.yaml' | typeof referenceDialect, change: (text: string) => string) {
      const path = join(dir, file);
      const before = readFileSync(path, 'utf8');
      const after = change(before);
      if (after === before) throw new Error(`edit of ${file} changed nothing`);
      writeFileSync(path, after);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
