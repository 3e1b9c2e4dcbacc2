// The PostgreSQL ledger chosen by config and environment: in the gateway, in serve, and in the ops
// commands; what an operator sees when PostgreSQL is not there.
import t from 'tap';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger, PostgresLedger } from '../../src/ledger/index.js';
import { runCliCaptured } from '../helpers/cli.js';
import { writeConfigDir } from '../helpers/config-files.js';
import { testConfig } from '../helpers/gateway-config.js';
import { create, T0 } from '../helpers/ledger-conformance.js';
import { freshDatabase, onServer } from '../helpers/postgres.js';
import { startTestGateway } from '../helpers/test-gateway.js';

t.test('serve names the unreachable PostgreSQL, password masked, and exits 1', async (t) => {
  const { code, stderr } = await runCliCaptured(['serve'], {
    DATABASE_URL: 'postgres://orderbridge:s3cret-pw@127.0.0.1:1/ledger',
  });
  t.equal(code, 1);
  t.match(stderr, 'cannot open the PostgreSQL ledger at postgres://orderbridge:***@127.0.0.1:1/ledger');
  t.match(stderr, /ECONNREFUSED/);
  t.match(stderr, /DATABASE_URL/, 'says what to check');
  t.notMatch(stderr, /s3cret-pw/, 'never the password');
});

t.test(
  'a URL pg cannot parse is named as such, without its password; driver postgres without a URL exits 2',
  async (t) => {
    for (const url of [
      'postgres://ob:pw-in-a-bad-url@127.0.0.1:99999/ledger',
      'postgres://ob:pw-in-a-bad-url@[::1/ledger',
    ]) {
      const { code, stderr } = await runCliCaptured(['serve'], { DATABASE_URL: url });
      t.equal(code, 1, url.replace('pw-in-a-bad-url', '***'));
      t.match(stderr, 'cannot open the PostgreSQL ledger at postgres://(an unparseable URL): Invalid URL');
      t.notMatch(stderr, /pw-in-a-bad-url/, 'never the password');
    }
    const config = writeConfigDir({ 'ledger.driver': 'postgres' });
    t.teardown(config.remove);
    const missing = await runCliCaptured(['serve'], { ORDERBRIDGE_CONFIG: config.dir });
    t.equal(missing.code, 2);
    t.match(missing.stderr, /ledger\.driver is postgres but no database is named: set ledger\.url .* or DATABASE_URL/);
  },
);

t.test(
  'the ops commands read a PostgreSQL ledger given by DATABASE_URL, and refuse a database without one',
  async (t) => {
    const url = await freshDatabase(t);
    const env = { DATABASE_URL: url };
    const empty = await runCliCaptured(['timeline', 'P-1'], env);
    t.equal(empty.code, 2, 'no ledger in that database: like an invalid config');
    t.match(empty.stderr, /no Orderbridge ledger in the PostgreSQL database/);

    const config = testConfig().config;
    const ledger = await openPostgresLedger({ url, policy: ledgerPolicy(config) });
    const forward = await ledger.recordCommand(create('P-1'), Date.now());
    if (forward.kind === 'forward') await ledger.markForwarded(forward.out, Date.now());
    await ledger.close();

    const timeline = await runCliCaptured(['timeline', 'P-1'], env);
    t.equal(timeline.code, 0, timeline.stderr);
    t.match(timeline.stdout, /received order\.create/);
    const report = await runCliCaptured(['report', '--since', '1h', '--format', 'json', '--no-reconcile'], env);
    t.equal(report.code, 0, report.stderr);
    t.match(JSON.parse(report.stdout), { commands: { received: 1, forwarded: 1 } });
  },
);

t.test('the gateway runs on the PostgreSQL ledger the config names; /readyz is 503 while it is lost', async (t) => {
  const url = await freshDatabase(t);
  const database = new URL(url).pathname.slice(1);
  const { gateway } = await startTestGateway(t, { gateway: { ledger: { driver: 'postgres', url } } });
  t.ok(gateway.ledger instanceof PostgresLedger);
  const readyz = () => fetch(`http://127.0.0.1:${gateway.http.port}/readyz`);
  const first = await readyz();
  t.equal(first.status, 200, await first.text());

  await onServer(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  await onServer(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`);
  t.teardown(() => onServer(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`));
  const lost = await readyz();
  t.equal(lost.status, 503);
  t.match(await lost.json(), { detail: /The ledger cannot be written/ });

  await onServer(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
  t.equal((await readyz()).status, 200, 'ready again once PostgreSQL answers');
  t.match(await gateway.ledger.recordCommand(create('R-1'), T0), { kind: 'forward' }, 'and it writes again');
});
