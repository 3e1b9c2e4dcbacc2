// Builds tap with the plugins package.json's "tap" section configures (ts-node's plugin off: tsx
// loads the tests) when the installed build differs, as it does after npm ci. tap notices that by
// itself, but the run that notices still starts its test files with the old build's loaders, so
// npm test's first tap run would pay for ts-node as well. Silent and instant once built.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TapConfig } from '@tapjs/config';
import { signature } from '@tapjs/test';

const config = await TapConfig.load();
if (signature !== config.pluginSignature) {
  console.error('tap-ready: building tap with the plugins package.json configures (once after npm ci)');
  // This checkout's tap by its path: scripts/test-node.sh runs this outside npm, whose PATH has it.
  const tap = fileURLToPath(new URL('../node_modules/.bin/tap', import.meta.url));
  execFileSync(tap, ['build'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
