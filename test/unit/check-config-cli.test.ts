import t from 'tap';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runCliCaptured } from '../helpers/cli.js';
import { copyConfig, defaultConfigDir } from '../helpers/config-dir.js';
import { loadConfig } from '../../src/config/index.js';

t.test('check-config on the default config exits 0 and prints every MES state mapping', async (t) => {
  const { code, stdout } = await runCliCaptured(['check-config', '--config', defaultConfigDir]);
  t.equal(code, 0);
  const { mapping } = loadConfig({ dir: defaultConfigDir, env: {} });
  for (const [state, m] of Object.entries(mapping.states)) t.match(stdout, new RegExp(`^${state} +${m.status}`, 'm'), state);
  t.match(stdout, /Lint: no findings/);
});

t.test('check-config exits 1 on lint findings and explains them', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit('mapping.yaml', (s) => s.replace('  DISPATCHED:\n    description: Handed to the carrier\n    status: shipped\n', '  DISPATCHED:\n    description: Handed to the carrier\n    status: shipped\n    next: [CANCELLED]\n'));
  const { code, stdout } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 1);
  t.match(stdout, /\[forbidden_move\] \/states\/DISPATCHED\/next\/0: MES move DISPATCHED → CANCELLED would need shipped → cancelled/);
  t.match(stdout, /fix: /);
});

t.test('check-config exits 2 on an invalid file and lists file:line, path and fix for each problem', async (t) => {
  const config = copyConfig();
  t.teardown(config.remove);
  config.edit('mapping.yaml', (s) => s.replace('    status: shipped', '    status: shiped'));
  config.edit('gateway.yaml', (s) => s.replace('  synchronous: FULL ', '  synchronous FULL '));
  config.edit('gateway.yaml', (s) => s.replace('  host: 127.0.0.1\n  port: 8080\n', '  port: 8080\n'));
  const { code, stderr } = await runCliCaptured(['check-config', '--config', config.dir]);
  t.equal(code, 2);
  t.match(stderr, /mapping\.yaml:\d+:\d+ +\/states\/DISPATCHED\/status +"shiped" is not one of the allowed values\n +fix: did you mean "shipped"\?/);
  t.match(stderr, /gateway\.yaml:\d+:\d+ +\/http\/host +missing required field "host"\n +fix: add host/);
  t.match(stderr, /gateway\.yaml:\d+(:\d+)? +\(syntax\) +YAML syntax: /);
});

t.test('the installed bin runs check-config (built by npm ci through prepare)', async (t) => {
  const result = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../bin/orderbridge.js'), 'check-config'], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8' });
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /READY_FOR_DISPATCH +ready/);
});

t.test('unknown commands and options exit 2 with usage', async (t) => {
  const unknown = await runCliCaptured(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /Unknown command "frobnicate"[\s\S]*Usage: orderbridge/);
});
