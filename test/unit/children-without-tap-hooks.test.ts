import t from 'tap';
import { spawnSync } from 'node:child_process';

// test/helpers/children-without-tap-hooks.mjs (a tap node-arg): the processes a test starts load no
// tap hook, although tap loads its process-info hook into the test itself and asks for it in children.
t.test("a process a test starts runs without tap's process-info hook", async (t) => {
  t.ok(
    process.execArgv.some((arg) => arg.includes('@tapjs/processinfo')),
    'tap loaded the hook into this test process',
  );
  const child = spawnSync(
    process.execPath,
    ['-e', 'console.log(JSON.stringify({ options: process.env.NODE_OPTIONS ?? "", argv: process.execArgv }))'],
    { encoding: 'utf8' },
  );
  t.equal(child.status, 0, child.stderr);
  const { options, argv } = JSON.parse(child.stdout) as { options: string; argv: string[] };
  t.notMatch(options, /@tapjs/, `NODE_OPTIONS: ${options}`);
  t.notOk(
    argv.some((arg) => arg.includes('@tapjs')),
    'no tap --import added',
  );
});
