#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('orderbridge is not built yet: run `npm run build` (npm ci does it through prepare).');
  process.exit(2);
}
await import(entry.href);
