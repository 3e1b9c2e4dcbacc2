// A large ledger for bench/report/main.ts, written straight into SQLite in the shape the gateway writes.
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Config } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';

export interface SeededLedger {
  orders: number;
  messages: number;
  journal: number;
  bytes: number;
  seconds: number;
}

/** Messages per order: the CRM command, the MES command, three MES events, three order events. */
const messagesPerOrder = 8;

/**
 * `messages` rows over the 48 h before `now` (so a 24-hour report covers half): each order
 * acknowledged and walked to delivered or still in production, with the small share of trouble a
 * real day has: 0.5 % lost commands, 0.2 % unconfirmed order events, 1 % duplicate deliveries,
 * 0.1 % unknown MES states, 1 % stuck orders.
 */
export async function seedBigLedger(
  path: string,
  config: Config,
  messages: number,
  now: number,
): Promise<SeededLedger> {
  const started = performance.now();
  const ledger = openSqliteLedger({ path, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  const { db } = ledger;
  const message =
    db.prepare(`INSERT INTO messages (id, direction, channel, type, message_id, cause_id, order_id, state, attempts, reason, routing_key, payload, created_at, updated_at)
    VALUES (@id, @direction, @channel, @type, @messageId, @causeId, @orderId, @state, @attempts, @reason, @routingKey, @payload, @at, @updatedAt)`);
  const journal = db.prepare('INSERT INTO journal (at, order_id, message_row, kind, detail) VALUES (?, ?, ?, ?, ?)');
  const order =
    db.prepare(`INSERT INTO orders (order_id, partner, status, status_since, status_entered_at, last_fact_at, attention, attention_since, attention_reason, stuck_at, created_at, updated_at)
    VALUES (@orderId, 'shop', @status, @since, @at, '{}', @attention, @attentionSince, @attentionReason, NULL, @at, @updatedAt)`);
  const orders = Math.floor(messages / messagesPerOrder);
  const span = 48 * 3_600_000;
  let id = 0;
  let journalRows = 0;
  db.transaction(() => {
    for (let i = 0; i < orders; i++) {
      const orderId = `BIG-${String(i).padStart(7, '0')}`;
      const at = now - span + Math.floor((i / orders) * span);
      const lost = i % 200 === 7;
      const unconfirmed = i % 500 === 11;
      const stuck = i % 100 === 13;
      const delivered = !lost && !stuck && i % 3 !== 0;
      const row = (
        fields: Partial<Record<string, unknown>> & {
          channel: string;
          type: string;
          messageId: string;
          direction: 'in' | 'out';
          state: string;
        },
        offset: number,
      ) => {
        id += 1;
        message.run({
          id,
          causeId: null,
          orderId,
          attempts: 0,
          reason: null,
          routingKey: null,
          payload: null,
          at: at + offset,
          updatedAt: at + offset + 20,
          ...fields,
        });
        return id;
      };
      const command = row(
        {
          direction: 'in',
          channel: 'crm.command',
          type: 'order.create',
          messageId: `crm-${orderId}`,
          state: lost ? 'lost' : 'acknowledged',
          reason: lost ? 'no acknowledgement after 3 forward(s)' : null,
        },
        0,
      );
      row(
        {
          direction: 'out',
          channel: 'mes.command',
          type: 'order.create',
          messageId: `ob-${orderId}`,
          causeId: command,
          state: 'published',
          attempts: lost ? 3 : 1,
          routingKey: 'CREATE_ORDER',
          payload: '{}',
        },
        // Recorded with its CRM command, at the same time, as the gateway does (record-intake.ts).
        0,
      );
      for (const [n, state] of ['ACCEPTED', 'CUTTING', delivered ? 'DISPATCHED' : 'WELDING'].entries()) {
        if (lost) break;
        const event = row(
          {
            direction: 'in',
            channel: 'mes.event',
            type: 'ORDER_STATE_CHANGED',
            messageId: `mes-${orderId}-${n}`,
            state: n === 0 ? 'acknowledged' : 'applied',
          },
          30 + n * 60_000,
        );
        row(
          {
            direction: 'out',
            channel: 'order.event',
            type: 'status_changed',
            messageId: `mes:mes-${orderId}-${n}:0`,
            causeId: event,
            state: unconfirmed && n === 2 ? 'pending' : 'published',
            routingKey: 'order.status.x',
            payload: '{}',
          },
          35 + n * 60_000,
        );
        journal.run(
          at + 30 + n * 60_000,
          orderId,
          event,
          'status_changed',
          JSON.stringify({
            to: n === 0 ? 'accepted' : n === 1 ? 'in_production' : delivered ? 'shipped' : 'in_production',
            source: 'mes',
            mesState: state,
          }),
        );
        journalRows += 1;
      }
      if (i % 100 === 17) {
        journal.run(
          at + 40,
          orderId,
          command,
          'duplicate_delivery',
          JSON.stringify({ messageId: `mes-${orderId}-0`, redelivered: true }),
        );
        journalRows += 1;
      }
      if (i % 1000 === 19) {
        const event = row(
          {
            direction: 'in',
            channel: 'mes.event',
            type: 'ORDER_STATE_CHANGED',
            messageId: `mes-${orderId}-x`,
            state: 'quarantined',
            reason: 'unknown MES state "LASER_ETCHING": add it to mapping.yaml',
          },
          200_000,
        );
        journal.run(
          at + 200_000,
          orderId,
          event,
          'quarantined',
          JSON.stringify({
            mesState: 'LASER_ETCHING',
            reason: 'unknown MES state "LASER_ETCHING": add it to mapping.yaml',
          }),
        );
        journalRows += 1;
      }
      const status = lost ? 'received' : delivered ? 'shipped' : 'in_production';
      order.run({
        orderId,
        status,
        since: new Date(at).toISOString(),
        at,
        updatedAt: at + 120_000,
        attention: lost ? 'lost' : stuck ? 'stuck' : null,
        attentionSince: lost || stuck ? at + 100_000 : null,
        attentionReason: lost ? 'no acknowledgement' : stuck ? 'in production too long' : null,
      });
    }
  })();
  db.exec('ANALYZE');
  await ledger.close();
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return {
    orders,
    messages: id,
    journal: journalRows,
    bytes: size(path) + size(`${path}-wal`),
    seconds: (performance.now() - started) / 1000,
  };
}
