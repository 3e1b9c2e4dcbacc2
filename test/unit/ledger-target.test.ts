import t from 'tap';
import { describeLedger, LedgerUrlMissingError, ledgerTarget } from '../../src/ledger/index.js';

const sqlite = { driver: 'sqlite', path: './data/ledger.db', synchronous: 'FULL', retention: '30d' } as const;

t.test('the shipped SQLite ledger unless a URL is given', async (t) => {
  t.same(ledgerTarget(sqlite), { driver: 'sqlite', path: './data/ledger.db', synchronous: 'FULL' });
  t.equal(describeLedger(ledgerTarget(sqlite)), './data/ledger.db');
});

t.test('a URL (ledger.url, or DATABASE_URL which sets it) selects PostgreSQL, whatever driver says', async (t) => {
  const url = 'postgres://ob:pw@db:5432/orderbridge';
  t.same(ledgerTarget({ ...sqlite, url }), { driver: 'postgres', url });
  t.same(ledgerTarget({ ...sqlite, driver: 'postgres', url }), { driver: 'postgres', url });
  t.equal(describeLedger(ledgerTarget({ ...sqlite, url })), 'postgres://ob:***@db:5432/orderbridge', 'password masked');
});

t.test('driver postgres without a URL is an error naming both ways to give one', async (t) => {
  t.throws(() => ledgerTarget({ ...sqlite, driver: 'postgres' }), LedgerUrlMissingError);
  t.throws(() => ledgerTarget({ ...sqlite, driver: 'postgres' }), /ledger\.url .*DATABASE_URL/);
});
