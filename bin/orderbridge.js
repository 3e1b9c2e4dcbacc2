#!/usr/bin/env node
import { existsSync } from 'node:fs';

const dist = new URL('../dist/src/', import.meta.url);
if (!existsSync(new URL('cli/index.js', dist))) {
  console.error('orderbridge is not built yet: run `npm run build` (npm ci does it through prepare).');
  process.exit(2);
}
// Tracing must be registered before the application's modules load (src/telemetry/otel-register.ts).
const { tracingRequested } = await import(new URL('telemetry/otel-env.js', dist).href);
if (tracingRequested(process.env)) await import(new URL('telemetry/otel-register.js', dist).href);
await import(new URL('cli/index.js', dist).href);
