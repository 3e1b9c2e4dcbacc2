import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { defaultConfigDir } from './config-dir.js';

/** A config directory for a gateway process: the defaults with some gateway.yaml fields replaced (path → value). */
export function writeConfigDir(changes: Record<string, unknown>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-e2e-config-'));
  cpSync(defaultConfigDir, dir, { recursive: true });
  const file = join(dir, 'gateway.yaml');
  const document = parseDocument(readFileSync(file, 'utf8'));
  for (const [path, value] of Object.entries(changes)) document.setIn(path.split('.'), value);
  writeFileSync(file, document.toString());
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
