// Child processes the tests start (gateways, simulators, the CLI, npm in the Dockerfile's stages)
// run without tap's process-info hook (tap's `node-arg`). tap adds that hook to every child's
// NODE_OPTIONS, through process-on-spawn, to track processes for coverage, which this suite turns
// off; the hook passes every module a child loads through a loader thread: ~0.7 s more for each
// child's start (measured: `orderbridge check-config` 1.0 → 1.7 s). Nothing else changes in a
// child's environment.
const spawnHooks = globalThis[Symbol.for('process-on-spawn@*:singletonId')];
if (spawnHooks) spawnHooks.listeners = [];
if (process.env.NODE_OPTIONS)
  process.env.NODE_OPTIONS = process.env.NODE_OPTIONS.split(/\s+/)
    .filter((option) => !option.includes('@tapjs/processinfo'))
    .join(' ');
