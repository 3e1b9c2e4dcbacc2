import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const defaultConfigDir = resolve(import.meta.dirname, '../../config');

/** A throwaway copy of the default config; `edit` rewrites one file's text. Removed by `remove`. */
export function copyConfig() {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-config-'));
  cpSync(defaultConfigDir, dir, { recursive: true });
  return {
    dir,
    edit(file: 'gateway.yaml' | 'mapping.yaml', change: (text: string) => string) {
      const path = join(dir, file);
      const before = readFileSync(path, 'utf8');
      const after = change(before);
      if (after === before) throw new Error(`edit of ${file} changed nothing`);
      writeFileSync(path, after);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
