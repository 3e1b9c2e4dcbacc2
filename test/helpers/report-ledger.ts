// A ledger in which each kind of reconciliation discrepancy happens on purpose, and a stand-in MES API.
import type { Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mesCommandId } from '../../src/adapters/mes/codec.js';
import { withGatewayOverrides } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/gateway.js';
import { openSqliteLedger, type CommandInput } from '../../src/ledger/index.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { testConfig } from './gateway-config.js';
import { mesEvent } from '../fixtures/mes-events.js';

export const T0 = Date.parse('2026-11-25T10:00:00Z');

/** A stand-in MES API: what it holds, by external reference; counts the look-ups. */
export async function fakeMes(t: Test, holds: Record<string, string>) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const ref = new URL(req.url ?? '/', 'http://x').searchParams.get('externalRef') ?? '';
    asked.push(ref);
    const state = holds[ref];
    res.writeHead(state ? 200 : 404, { 'content-type': 'application/json' }).end(state ? JSON.stringify({ externalRef: ref, state }) : '{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

/**
 * A ledger in which each kind of discrepancy happens on purpose, once, to its own order:
 * A-LOST (the MES never got it), A-ACKLOST (the MES has it, its ack never came), A-STUCK (the MES
 * moved on, the gateway missed it), A-UNCONF (an order event never confirmed), A-DUP (an MES event
 * delivered twice), A-UNKNOWN (an MES state the mapping lacks), A-EVID (its acknowledgement never
 * came, the watchdog found the order in the MES); A-OK is fine.
 */
export async function seededReportLedger(t: Test, mesUrl: string) {
  const env = testConfig();
  const config = withGatewayOverrides(env.config, { mesApi: { baseUrl: mesUrl }, acknowledgement: { deadline: '1s', maxAttempts: 1, backoff: 2, evidenceLookup: false } });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const event = (state: string, orderId: string, eventId: string, at: number) => {
    const read = readMesEvent(mesEvent(state, { eventId, orderId, at: new Date(at).toISOString(), ...(state === 'ACCEPTED' ? { correlationId: mesCommandId(`crm-${orderId}`) } : {}) }), config.mapping.paths);
    if (!read.ok) throw new Error(read.problems.join());
    return { fields: read.fields, translation: translate(read.fields, config.mapping.states), type: 'ORDER_STATE_CHANGED' };
  };
  const create = async (orderId: string, at: number): Promise<void> => {
    const mesId = mesCommandId(`crm-${orderId}`);
    const input: CommandInput = { crmMessageId: `crm-${orderId}`, type: 'order.create', orderId, partner: 'shop', sentAt: new Date(at).toISOString(), mes: { messageId: mesId, routingKey: 'CREATE_ORDER', payload: '{}' } };
    const result = await ledger.recordCommand(input, at);
    if (result.kind === 'forward') await ledger.markForwarded(result.out, at);
  };
  const accepted = async (orderId: string, at: number) => {
    const result = await ledger.recordMesEvent(event('ACCEPTED', orderId, `${orderId}-acc`, at), at);
    if (result.kind !== 'refused') await ledger.markPublished(result.publish.map((p) => p.rowId), at);
  };

  for (const [i, id] of ['A-OK', 'A-LOST', 'A-ACKLOST', 'A-STUCK', 'A-UNCONF', 'A-DUP', 'A-UNKNOWN', 'A-EVID'].entries()) await create(id, T0 + i * 10);
  for (const id of ['A-OK', 'A-STUCK', 'A-DUP', 'A-UNKNOWN']) await accepted(id, T0 + 500);
  // The watchdog gives up on A-LOST and A-ACKLOST (maxAttempts 1): both flagged lost. For A-EVID
  // its evidence look-up found the order in the MES: closed as acknowledged without an acknowledgement.
  for (const due of await ledger.overdueCommands(T0 + 60_000, 10)) {
    const out = await ledger.resolveOverdueCommand(due.rowId, T0 + 60_000, due.orderId === 'A-EVID' ? true : undefined);
    await ledger.markPublished(out.map((p) => p.rowId), T0 + 60_000);
  }
  // A-UNCONF's acceptance: its order events are queued but never confirmed by the broker.
  await ledger.recordMesEvent(event('ACCEPTED', 'A-UNCONF', 'A-UNCONF-acc', T0 + 600), T0 + 600);
  // A-DUP's next event arrives twice.
  for (let i = 0; i < 2; i++) {
    const result = await ledger.recordMesEvent({ ...event('CUTTING', 'A-DUP', 'A-DUP-cut', T0 + 700), redelivered: i > 0 }, T0 + 700);
    if (result.kind !== 'refused') await ledger.markPublished(result.publish.map((p) => p.rowId), T0 + 700);
  }
  // A-UNKNOWN: a state nobody mapped.
  await ledger.recordMesEvent(event('LASER_ETCHING', 'A-UNKNOWN', 'A-UNKNOWN-x', T0 + 800), T0 + 800);
  // A-STUCK stays accepted past every deadline while the MES has it in production.
  const flagged = await ledger.flagStuckOrders(T0 + 30 * 86_400_000, 100);
  await ledger.markPublished(flagged.filter((p) => !p.messageId.includes('A-UNCONF')).map((p) => p.rowId), T0 + 30 * 86_400_000);
  return { ledger, config };
}

