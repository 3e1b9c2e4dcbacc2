// A PostgreSQL restart under load (a private cluster: the shared one on 5432 stays up for the other
// test files): the ledger's callers see failures while it is down, the process does not end, and
// writes go through again once it is back.
import t from 'tap';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger } from '../../src/ledger/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { create, T0 } from '../helpers/ledger-conformance.js';
import { startPrivatePostgres } from '../helpers/private-postgres.js';

t.test('PostgreSQL restarted while four writers commit: failures, then writes again; the process lives', async (t) => {
  const uncaught: unknown[] = [];
  const note = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', note);
  process.on('unhandledRejection', note);
  t.teardown(() => {
    process.off('uncaughtException', note);
    process.off('unhandledRejection', note);
  });
  const postgres = await startPrivatePostgres(t, 'restart');
  const url = await postgres.createDatabase('ledger');
  const env = testConfig();
  t.teardown(env.remove);
  const ledger = await openPostgresLedger({ url, policy: ledgerPolicy(env.config) });
  t.teardown(() => ledger.close());
  let writing = true;
  let failed = 0;
  const writer = async (w: number) => {
    for (let i = 0; writing; i++) {
      await ledger.recordCommand(create(`R-${w}-${i}`), T0).catch(async () => {
        failed++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await postgres.restart();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  writing = false;
  await Promise.all(writers);
  t.ok(failed > 0, `${failed} writes failed while PostgreSQL restarted`);
  t.same(uncaught, [], 'no connection error escaped to the process (an unheard error event, an unhandled rejection)');
  t.match(await ledger.recordCommand(create('R-after'), T0), { kind: 'forward' }, 'a write after the restart');
});
