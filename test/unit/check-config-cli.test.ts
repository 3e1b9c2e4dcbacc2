import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';
import { copyConfig, defaultConfigDir, referenceDialect } from '../helpers/config-dir.js';
import { loadConfig } from '../../src/config/index.js';

t.test('check-config on the default config exits 0 and prints every MES state mapping', async (t) => {
  const { code, stdout } = await runCliCaptured(['check-config', '--config', defaultConfigDir]);
  t.equal(code, 0);
  const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });
  for (const [state, m] of Object.entries(dialect.states))
    t.match(stdout, new RegExp(`^${state} +${m.status}`, 'm'), state);
  t.match(stdout, /Lint: no findings/);
});

t.test('check-config exits 1 on lint findings and explains them', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s.replace(
      '  DISPATCHED:\n    description: Handed to the carrier\n    status: shipped\n',
      '  DISPATCHED:\n    description: Handed to the carrier\n    status: shipped\n    next: [CANCELLED]\n',
    ),
  );
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    /\[forbidden_move\] \/states\/DISPATCHED\/next\/0: MES move DISPATCHED → CANCELLED would need shipped → cancelled/,
  );
  t.match(stdout, /fix: /);
});

t.test('check-config exits 2 on an invalid file and lists file:line, path and fix for each problem', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) => s.replace('    status: shipped', '    status: shiped'));
  config.edit('gateway.yaml', (s) => s.replace('  synchronous: FULL ', '  synchronous FULL '));
  config.edit('gateway.yaml', (s) => s.replace('  host: 127.0.0.1\n  port: 8080\n', '  port: 8080\n'));
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 2);
  t.match(
    stderr,
    /dialect\.yaml:\d+:\d+: \/states\/DISPATCHED\/status: "shiped" is not one of the allowed values \(fix: did you mean "shipped"\?/,
  );
  t.match(stderr, /gateway\.yaml:\d+:\d+: \/http\/host: missing required field "host" \(fix: add host/);
  t.match(stderr, /gateway\.yaml:\d+(:\d+)?: YAML syntax: /);
});

t.test(
  'check-config writes each problem as compilers do, file:line:column of the bad value, and says to quote a number YAML made of a state',
  async (t) => {
    const config = copyConfig();
    t.teardown(config.remove);
    config.edit(referenceDialect, (s) =>
      s.replace('    next: [MACHINING, PAUSED, CANCELLED, ERROR]', '    next: [10, 20]'),
    );
    const line = readFileSync(join(config.dir, referenceDialect), 'utf8').split('\n').indexOf('    next: [10, 20]') + 1;
    const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
    t.equal(code, 2);
    const file = join(config.dir, referenceDialect);
    t.equal(
      stderr,
      [
        `Invalid configuration in ${config.dir}: 2 problem(s)`,
        `${file}:${line}:12: /states/CUTTING/next/0: must be a string, found a number (YAML reads the unquoted 10 as a number) (fix: quote it: "10")`,
        `${file}:${line}:16: /states/CUTTING/next/1: must be a string, found a number (YAML reads the unquoted 20 as a number) (fix: quote it: "20")`,
      ].join('\n'),
    );
  },
);

t.test('lint findings, too, point at the line and column of the value they name', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit(referenceDialect, (s) =>
    s
      .replace(
        '    next: [QC_INSPECTION, PAUSED, CANCELLED, ERROR]',
        '    next: [QC_INSPECTION, PAUSED, DEBURRING, CANCELLED, ERROR]',
      )
      .replace('    status: ready', '    status: in_production'),
  );
  const lines = readFileSync(join(config.dir, referenceDialect), 'utf8').split('\n');
  const line = lines.indexOf('    next: [QC_INSPECTION, PAUSED, DEBURRING, CANCELLED, ERROR]') + 1;
  const file = join(config.dir, referenceDialect);
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(
    stdout,
    `${file}:${line}:35: [unmapped_state] /states/ASSEMBLY/next/2: MES state DEBURRING (reachable from ASSEMBLY) maps to nothing`,
  );
  t.match(stdout, '(fix: add DEBURRING under states with the external status it means)');
  const findings = stdout.slice(stdout.indexOf('Lint: 2 finding(s) in ')).split('\n').slice(1);
  t.match(
    findings,
    [
      `${file}:${lines.indexOf('states:') + 1}:1: [unreachable_status] /states: external status ready`,
      `${file}:${line}:35: [unmapped_state]`,
    ],
    'top to bottom, as a reader fixes them',
  );
});

t.test('the installed bin runs check-config (built by npm ci through prepare)', async (t) => {
  const result = spawnSync(
    process.execPath,
    [resolve(import.meta.dirname, '../../bin/orderbridge.js'), 'check-config'],
    { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' },
  );
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /READY_FOR_DISPATCH +ready/);
});

t.test('unknown commands and options exit 2 with usage', async (t) => {
  const unknown = await runCliCaptured(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /Unknown command "frobnicate"[\s\S]*Usage: orderbridge/);
});
