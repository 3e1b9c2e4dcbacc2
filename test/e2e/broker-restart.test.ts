import t from 'tap';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });
const rabbitmqctl = (...args: string[]) =>
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore', timeout: 120_000 });

// Restarting the broker's app cuts every connection on this machine: tap runs one test file at a
// time (jobs: 1), so no other test shares the broker while this one runs.
t.test('RabbitMQ restarted (stop_app / start_app) during load: 0 lost, 0 duplicate effects', async (t) => {
  let downMs = 0;
  t.teardown(() => rabbitmqctl('start_app'));
  const { report, mes, ledger, gatewayLog } = await runE2e(t, {
    orders: 1000,
    rate: 250,
    mes: ['--step-ms', '30'],
    crm: ['--deliver-after-ms', '50'],
    timeoutMs: 150_000,
    during: async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const stopped = Date.now();
      rabbitmqctl('stop_app');
      await new Promise((r) => setTimeout(r, 2000));
      rabbitmqctl('start_app');
      rabbitmqctl('await_startup');
      downMs = Date.now() - stopped;
    },
  });
  t.comment(`broker down for ${downMs} ms`);
  t.match(gatewayLog, /RabbitMQ connection lost; reconnecting/, 'the gateway saw the outage');
  const check = checkRun(report, mes, ledger, dialect);
  t.equal(report.sent, 1000);
  t.same(check.lost, [], 'lost: 0');
  t.equal(check.duplicated, 0, 'duplicate effects in the MES: 0');
  t.same(check.unexpected, []);
  t.same(report.unanswered, [], 'every order answered after the restart');
  t.same(check.mismatched, []);
});
