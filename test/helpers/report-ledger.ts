// A ledger in which each kind of reconciliation discrepancy happens on purpose, and a stand-in MES API.
import type { Test } from 'tap';
import { createMesReadProxy, type MesReadProxy } from '../../src/adapters/mes/index.js';
import { withGatewayOverrides, type Config } from '../../src/config/index.js';
import { testConfig } from './gateway-config.js';
import { listenLoopback } from './loopback-http.js';
import { testLedgerDrivers, type TestLedgerDriver } from './ledger-drivers.js';
import { applyMesEvent, createAndForward, mesEventInput } from '../fixtures/mes-events.js';

export const T0 = Date.parse('2026-11-25T10:00:00Z');

/** A stand-in MES API: what it holds, by external reference; counts the look-ups. */
export async function fakeMes(t: Test, holds: Record<string, string>) {
  const asked: string[] = [];
  const askedAt: number[] = [];
  const url = await listenLoopback(t, (req) => {
    const ref = new URL(req.url ?? '/', 'http://x').searchParams.get('externalRef') ?? '';
    asked.push(ref);
    askedAt.push(Date.now());
    const state = holds[ref];
    return state ? { status: 200, body: JSON.stringify({ externalRef: ref, state }) } : { status: 404 };
  });
  return { url, asked, askedAt };
}

/**
 * A ledger in which each kind of discrepancy happens on purpose, once, to its own order:
 * A-LOST (the MES never got it), A-ACKLOST (the MES has it, its ack never came), A-STUCK (the MES
 * moved on, the gateway missed it), A-UNCONF (an order event never confirmed), A-DUP (an MES event
 * delivered twice), A-UNKNOWN (an MES state the mapping lacks), A-EVID (its acknowledgement never
 * came, the watchdog found the order in the MES); A-OK is fine.
 */
export async function seededReportLedger(t: Test, mesUrl: string, driver: TestLedgerDriver = testLedgerDrivers[0]!) {
  const env = testConfig();
  const config = withGatewayOverrides(env.config, {
    mesApi: { baseUrl: mesUrl },
    acknowledgement: { deadline: '1s', maxAttempts: 1, backoff: 2, evidenceLookup: false },
  });
  t.teardown(env.remove);
  const { ledger, config: ledgerConfig, env: ledgerEnv } = await driver.open(t, config);
  for (const [i, id] of [
    'A-OK',
    'A-LOST',
    'A-ACKLOST',
    'A-STUCK',
    'A-UNCONF',
    'A-DUP',
    'A-UNKNOWN',
    'A-EVID',
  ].entries())
    await createAndForward(ledger, id, T0 + i * 10);
  for (const id of ['A-OK', 'A-STUCK', 'A-DUP', 'A-UNKNOWN'])
    await applyMesEvent(ledger, config.dialect, 'ACCEPTED', id, T0 + 500, { eventId: `${id}-acc` });
  // The watchdog gives up on A-LOST and A-ACKLOST (maxAttempts 1): both flagged lost. For A-EVID
  // its evidence look-up found the order in the MES: closed as acknowledged without an acknowledgement.
  for (const due of await ledger.overdueCommands(T0 + 60_000, 10)) {
    const out = await ledger.resolveOverdueCommand(due.rowId, T0 + 60_000, due.orderId === 'A-EVID' ? true : undefined);
    await ledger.markPublished(
      out.map((p) => p.rowId),
      T0 + 60_000,
    );
  }
  // A-UNCONF's acceptance: its order events are queued but never confirmed by the broker.
  await ledger.recordMesEvent(mesEventInput(config.dialect, 'ACCEPTED', 'A-UNCONF', T0 + 600), T0 + 600);
  // A-DUP's next event arrives twice.
  for (const redelivered of [false, true])
    await applyMesEvent(ledger, config.dialect, 'CUTTING', 'A-DUP', T0 + 700, { redelivered });
  // A-UNKNOWN: a state nobody mapped.
  await ledger.recordMesEvent(mesEventInput(config.dialect, 'LASER_ETCHING', 'A-UNKNOWN', T0 + 800), T0 + 800);
  // A-STUCK stays accepted past every deadline while the MES has it in production.
  const flagged = await ledger.flagStuckOrders(T0 + 30 * 86_400_000, 100);
  await ledger.markPublished(
    flagged.filter((p) => !p.messageId.includes('A-UNCONF')).map((p) => p.rowId),
    T0 + 30 * 86_400_000,
  );
  return { ledger, config: ledgerConfig, ledgerEnv };
}

/** The MES read proxy a report asks through (to config's mesApi), closed in the test's teardown. */
export function mesReader(t: Test, config: Config): MesReadProxy {
  const proxy = createMesReadProxy({ mesApi: config.gateway.mesApi, orderLookup: config.dialect.api?.orderLookup });
  t.teardown(() => proxy.close());
  return proxy;
}
