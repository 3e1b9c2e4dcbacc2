// A ledger in which each kind of order that needs a person is made on purpose, beside orders that do not.
import type { Test } from 'tap';
import { withGatewayOverrides } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { testConfig } from './gateway-config.js';
import { applyMesEvent, createAndForward, mesEventInput } from '../fixtures/mes-events.js';
import { T0 } from './report-ledger.js';

const hour = 3_600_000;

/** When the report is made: every order below is past what made it need a person, none past more. */
export const actionNow = T0 + 6 * hour;

/** What the stand-in MES API holds: the lost order and two stuck ones; N-STUCK-GONE it lost. */
export const actionMesHolds = { 'N-LOST': 'ACCEPTED', 'N-STUCK-OLD': 'ACCEPTED', 'N-STUCK-NEW': 'ACCEPTED' };

/** The orders that need a person, in the urgency order the action list must show them. */
export const expectedActionOrder = [
  'N-STUCK-GONE', // stuck, and the MES does not know it: first
  'N-LOST', // lost (the MES has it: its acknowledgement was lost)
  'N-STUCK-OLD', // stuck, the MES knows it; flagged an hour before N-STUCK-NEW
  'N-STUCK-NEW',
  'N-QUAR', // only an MES event in a state the dialect lacks
  'N-DEAD', // only a dead-lettered MES event
  'N-REJ', // rejected by the MES, the CRM never answered
];

/**
 * Orders made on purpose (see expectedActionOrder), and beside them 100 orders whose MES
 * acknowledgement was delivered twice (absorbed duplicates) and N-RECOVERED, which failed and
 * then went on into production: none of those needs a person.
 */
export async function seededActionLedger(t: Test, mesUrl: string) {
  const env = testConfig();
  const config = withGatewayOverrides(env.config, {
    mesApi: { baseUrl: mesUrl },
    acknowledgement: { deadline: '1s', maxAttempts: 1, backoff: 2, evidenceLookup: false },
  });
  const { dialect } = config;
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(config) });
  t.teardown(() => env.remove());
  const closed = { done: false };
  const close = async () => {
    if (closed.done) return;
    closed.done = true;
    await ledger.close();
  };
  t.teardown(close);

  for (const [i, id] of ['N-LOST', 'N-STUCK-GONE', 'N-STUCK-OLD', 'N-STUCK-NEW'].entries())
    await createAndForward(ledger, id, T0 + i * 10);
  for (const id of ['N-STUCK-GONE', 'N-STUCK-OLD'])
    await applyMesEvent(ledger, dialect, 'ACCEPTED', id, T0 + 500, { eventId: `${id}-acc` });
  await applyMesEvent(ledger, dialect, 'ACCEPTED', 'N-STUCK-NEW', T0 + hour, { eventId: 'N-STUCK-NEW-acc' });
  // The watchdog gives up on N-LOST (maxAttempts 1): flagged lost.
  for (const due of await ledger.overdueCommands(T0 + 60_000, 10)) {
    const out = await ledger.resolveOverdueCommand(due.rowId, T0 + 60_000, undefined);
    await ledger.markPublished(
      out.map((p) => p.rowId),
      T0 + 60_000,
    );
  }
  // Accepted has a 4 h deadline: N-STUCK-GONE and N-STUCK-OLD are flagged first, N-STUCK-NEW an hour later.
  for (const at of [T0 + 4 * hour + 1000, T0 + 5 * hour + 1000]) {
    const flagged = await ledger.flagStuckOrders(at, 100);
    await ledger.markPublished(
      flagged.map((p) => p.rowId),
      at,
    );
  }

  const later = T0 + 5 * hour + 10_000;
  const fine = Array.from({ length: 100 }, (_, i) => `N-OK-${String(i).padStart(3, '0')}`);
  for (const id of [...fine, 'N-QUAR', 'N-DEAD', 'N-REJ', 'N-RECOVERED']) await createAndForward(ledger, id, later);
  for (const id of [...fine, 'N-QUAR', 'N-DEAD'])
    await applyMesEvent(ledger, dialect, 'ACCEPTED', id, later + 500, { eventId: `${id}-acc` });
  for (const id of fine)
    await applyMesEvent(ledger, dialect, 'ACCEPTED', id, later + 600, { eventId: `${id}-acc`, redelivered: true });
  await ledger.recordMesEvent(mesEventInput(dialect, 'LASER_ETCHING', 'N-QUAR', later + 700), later + 700);
  await ledger.recordInvalid(
    {
      channel: 'mes.event',
      messageId: 'N-DEAD-bad',
      type: 'ORDER_STATE_CHANGED',
      orderId: 'N-DEAD',
      reason: '/order/state: must be string',
      payload: '{"order":{"externalRef":"N-DEAD","state":7}}',
    },
    later + 800,
  );
  await applyMesEvent(ledger, dialect, 'REJECTED', 'N-REJ', later + 900);
  await applyMesEvent(ledger, dialect, 'ERROR', 'N-RECOVERED', later + 900);
  await applyMesEvent(ledger, dialect, 'CUTTING', 'N-RECOVERED', later + 1000);
  return { ledger, config, close, fine };
}
