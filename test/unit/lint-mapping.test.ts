import t from 'tap';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { lintMapping } from '../../src/mapping/index.js';
import type { DialectConfig } from '../../src/contracts/generated/config/dialect.js';
import { validatorFor } from '../../src/contracts/validate.js';

const { dialect } = loadConfig({ dir: resolve(import.meta.dirname, '../../config'), env: {} });
const edit = (change: (m: DialectConfig) => void): DialectConfig => {
  const copy = structuredClone(dialect) as DialectConfig;
  change(copy);
  return copy;
};

t.test('the default dialect is clean and has at least 12 MES states', async (t) => {
  t.same(lintMapping(dialect), []);
  t.ok(Object.keys(dialect.states).length >= 12);
});

t.test('a state reachable in the MES workflow but not mapped', async (t) => {
  const findings = lintMapping(edit((m) => m.states.CUTTING!.next!.push('DEBURRING')));
  t.match(findings, [{ code: 'unmapped_state', path: '/states/CUTTING/next/4', message: /DEBURRING/ }]);
});

t.test('an external status nothing reaches', async (t) => {
  const findings = lintMapping(
    edit((m) => {
      m.states.READY_FOR_DISPATCH!.status = 'in_production';
    }),
  );
  t.match(findings, [{ code: 'unreachable_status', message: /external status ready is reached by no MES state/ }]);
  const crmOwnedRemoved = lintMapping(
    edit((m) => {
      m.crmOwned = m.crmOwned.filter((s) => s !== 'delivered');
    }),
  );
  t.match(crmOwnedRemoved, [{ code: 'unreachable_status', fix: /list delivered under crmOwned/ }]);
});

t.test('an MES move that would need a forbidden transition', async (t) => {
  const findings = lintMapping(edit((m) => (m.states.DISPATCHED!.next = ['CANCELLED'])));
  t.match(findings, [{ code: 'forbidden_move', path: '/states/DISPATCHED/next/0', message: /shipped → cancelled/ }]);
});

t.test('no state acknowledges acceptance', async (t) => {
  const findings = lintMapping(edit((m) => delete m.states.ACCEPTED!.ack));
  t.match(findings, [{ code: 'no_acceptance' }]);
});

t.test('a state no event can name, because events.values.state reads every state as another text', async (t) => {
  const findings = lintMapping(
    edit((m) => {
      m.events.values = { ...m.events.values, state: { case: 'upper' } };
      m.states.versendet = { description: 'shipped, as the MES writes it', status: 'shipped' };
    }),
  );
  t.match(findings, [{ code: 'unmatchable_state', path: '/states/versendet', fix: 'write it as VERSENDET' }]);
  t.same(
    lintMapping(edit((m) => (m.events.values = { ...m.events.values, state: { case: 'upper', trim: true } }))),
    [],
    'upper-case states under an upper-casing rule match',
  );
});

t.test('a command without the message id its answers echo, when answers are matched by correlation id', async (t) => {
  const withoutId = edit((m) => {
    const header = m.commands['order.update'].message as { header: Record<string, unknown> };
    header.header.messageId = { from: '/orderId' };
  });
  t.match(lintMapping(withoutId), [
    {
      code: 'uncorrelated_command',
      path: '/commands/order.update/message',
      message: /never carries the gateway's message id/,
    },
  ]);
  const byState = structuredClone(withoutId);
  byState.acknowledgement = { by: 'state' };
  t.same(
    lintMapping(byState).filter((f) => f.code === 'uncorrelated_command'),
    [],
    'matched by state, a command needs no id',
  );
});

t.test('MES states may be written in any script, with inner spaces, as a real MES names them', async (t) => {
  const validDialect = validatorFor<DialectConfig>('dialectConfig');
  const named = (name: string) =>
    validDialect(edit((m) => (m.states[name] = { description: `${name}, as the MES writes it`, status: 'on_hold' })));
  for (const name of ['STÖRUNG', 'IN ARBEIT', 'ПРИОСТАНОВЛЕН', '730', 'Q/A:2'])
    t.ok(named(name).ok, `${name}: a state the dialect can map`);
  for (const name of [' LEADING', 'TRAILING ', '', 'A'.repeat(65), 'NEW\nLINE', 'TAB\tX'])
    t.notOk(named(name).ok, `${JSON.stringify(name)}: refused`);
});
