import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';
import { seededRandom } from '../helpers/random.js';

const { mapping } = loadConfig({ dir: defaultConfigDir, env: {} });
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
  const check = checkRun(report, mes, ledger, mapping);
  t.equal(report.sent, 2000);
  t.same(check.lost, [], 'lost: 0');
  t.equal(check.duplicated, 0, 'duplicate effects in the MES: 0');
  t.same(check.unexpected, [], 'unexpected: 0');
  t.same(report.unanswered, [], 'every order resolved after the last restart');
  t.same(check.mismatched, []);
  t.comment(`the MES de-duplicated ${mes.duplicateCommands} re-forwarded command(s) by message id`);
  t.equal(report.acknowledged.accepted, 2000);
});
