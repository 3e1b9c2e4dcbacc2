import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';
import { startPrivateRabbit } from '../helpers/private-rabbit.js';
import { waitForOutput } from '../helpers/processes.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });

// On a RabbitMQ node of the test's own: restarting the machine's shared broker would cut every
// other user's connections.
t.test('RabbitMQ restarted (stop_app / start_app) during load: 0 lost, 0 duplicate effects', async (t) => {
  const broker = await startPrivateRabbit(t, 'restart');
  let downMs = 0;
  const { report, mes, ledger, gatewayLog } = await runE2e(t, {
    amqpUrl: broker.url,
    orders: 1000,
    rate: 250,
    mes: ['--step-ms', '30'],
    crm: ['--deliver-after-ms', '50'],
    timeoutMs: 150_000,
    during: async (run) => {
      // A simulator whose first connection is cut while it sets up exits (it fails fast by design).
      await waitForOutput(run.crm, /CRM simulator: run/, 20_000);
      await new Promise((r) => setTimeout(r, 1000));
      const stopped = Date.now();
      await broker.ctl('stop_app');
      await new Promise((r) => setTimeout(r, 2000));
      await broker.ctl('start_app');
      await broker.ctl('await_startup');
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
