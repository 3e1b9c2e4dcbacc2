import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The numbered .sql files of one driver (migrations/<driver>/ beside this module; `npm run build`
 * copies them into dist/), in number order.
 */
export function migrationFiles(driver: 'sqlite' | 'postgres'): Migration[] {
  const dir = fileURLToPath(new URL(`migrations/${driver}/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ version: Number(name.slice(0, 3)), name, sql: readFileSync(join(dir, name), 'utf8') }));
}
