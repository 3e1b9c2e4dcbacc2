import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';
import { seededRandom } from '../helpers/random.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });
const seed = Number(process.env.E2E_SEED ?? 7);

t.test(`kill -9 the gateway 3 times during 2,000 orders: 0 lost, 0 duplicate effects (seed ${seed})`, async (t) => {
  const random = seededRandom(seed);
  const kills: number[] = [];
  const { report, mes, ledger } = await runE2e(t, {
    orders: 2000,
    rate: 400,
    mes: ['--step-ms', '20'],
    crm: ['--deliver-after-ms', '50'],
    during: async (run) => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 1200)));
        kills.push(run.gateway.pid);
        await run.gateway.kill9();
        await run.restartGateway();
      }
    },
  });
  t.equal(kills.length, 3, `killed PIDs ${kills.join(', ')}`);
  const check = checkRun(report, mes, ledger, dialect);
  t.equal(report.sent, 2000);
  t.same(check.lost, [], 'lost: 0');
  t.equal(check.duplicated, 0, 'duplicate effects in the MES: 0');
  t.same(check.unexpected, [], 'unexpected: 0');
  t.same(report.unanswered, [], 'every order resolved after the last restart');
  t.same(check.mismatched, []);
  t.comment(`the MES de-duplicated ${mes.duplicateCommands} re-forwarded command(s) by message id`);
  t.equal(report.acknowledged.accepted, 2000);
});

t.test('SIGTERM during load: the gateway stops consuming, finishes in flight, exits 0; nothing is lost', async (t) => {
  let exitCode: number | null = null;
  let stopMs = 0;
  const { report, mes, ledger } = await runE2e(t, {
    orders: 1000,
    rate: 400,
    mes: ['--step-ms', '20'],
    crm: ['--deliver-after-ms', '50'],
    during: async (run) => {
      await new Promise((r) => setTimeout(r, 1000));
      const started = Date.now();
      exitCode = await run.gateway.stop();
      stopMs = Date.now() - started;
      t.match(run.gateway.output(), /gateway stopped/, 'it said it stopped');
      await run.restartGateway();
    },
  });
  t.equal(exitCode, 0, `exit code 0 after ${stopMs} ms`);
  const check = checkRun(report, mes, ledger, dialect);
  t.same(check.lost, []);
  t.equal(check.duplicated, 0);
  t.same(report.unanswered, []);
  t.equal(mes.duplicateCommands, 0, 'a clean stop leaves nothing half-done to forward again');
});
