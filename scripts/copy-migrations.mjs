// tsc compiles only TypeScript: this puts the ledger's SQL migrations beside the compiled ledger in OUTDIR.
import { cpSync } from 'node:fs';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: node scripts/copy-migrations.mjs OUTDIR\n');
  process.exit(2);
}
cpSync('src/ledger/migrations', `${outDir}/src/ledger/migrations`, { recursive: true });
