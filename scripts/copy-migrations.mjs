// tsc compiles only TypeScript: this puts the ledger's SQL migrations beside the compiled ledger in OUTDIR.
// The folder is replaced, not merged into: a migration renamed in src must not stay behind under its
// old name, where it would be applied as a second migration of the same version.
import { cpSync, rmSync } from 'node:fs';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: node scripts/copy-migrations.mjs OUTDIR\n');
  process.exit(2);
}
const target = `${outDir}/src/ledger/migrations`;
rmSync(target, { recursive: true, force: true });
cpSync('src/ledger/migrations', target, { recursive: true });
