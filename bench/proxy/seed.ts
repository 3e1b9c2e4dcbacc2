// Partners, their API keys and, for part 1, a ledger seeded directly with orders and their histories.
import { createHash, randomBytes } from 'node:crypto';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import type { Config } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { mesEvent } from '../../test/fixtures/mes-events.js';
import type { PartnerSpec } from './protocol.js';

export interface BenchPartner extends PartnerSpec {
  key: string;
}

/** `count` partners with fresh random keys; the gateway gets only their SHA-256. */
export function benchPartners(count: number): BenchPartner[] {
  return Array.from({ length: count }, (_, i) => {
    const key = randomBytes(24).toString('base64url');
    return { id: `bench-${i}`, key, apiKeySha256: createHash('sha256').update(key).digest('hex') };
  });
}

export interface SeededOrder {
  orderId: string;
  partner: BenchPartner;
}

/** Order i belongs to partner i mod n, so every partner has its share of hot and cold orders. */
export function benchOrders(prefix: string, count: number, partners: BenchPartner[]): SeededOrder[] {
  return Array.from({ length: count }, (_, i) => ({
    orderId: `${prefix}-${String(i).padStart(6, '0')}`,
    partner: partners[i % partners.length]!,
  }));
}

/**
 * Writes each order as the pipeline would have: the CRM's order.create forwarded to the MES, then
 * the MES's ACCEPTED (acknowledging it) and CUTTING, so each has a three-entry status history.
 * NORMAL synchronous while seeding only; the gateway reopens the file with the configured FULL.
 */
export async function seedLedger(path: string, config: Config, orders: SeededOrder[]): Promise<void> {
  const ledger = openSqliteLedger({ path, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  const t0 = Date.now() - 3_600_000;
  try {
    await Promise.all(
      orders.map(async ({ orderId, partner }, i) => {
        const at = t0 + i;
        const crmMessageId = `crm-${orderId}`;
        const mes = { messageId: mesCommandId(crmMessageId), routingKey: 'CREATE_ORDER', payload: '{}' };
        const result = await ledger.recordCommand(
          { crmMessageId, type: 'order.create', orderId, partner: partner.id, sentAt: new Date(at).toISOString(), mes },
          at,
        );
        if (result.kind === 'forward') await ledger.markForwarded(result.out, at);
        for (const [step, state] of ['ACCEPTED', 'CUTTING'].entries()) {
          const when = at + 60_000 * (step + 1);
          const event = mesEvent(state, {
            eventId: `${orderId}-${state}`,
            orderId,
            at: new Date(when).toISOString(),
            ...(state === 'ACCEPTED' ? { correlationId: mes.messageId } : {}),
          });
          const read = readMesEvent(event, config.dialect.events);
          if (!read.ok) throw new Error(`seed event for ${orderId}: ${read.problems.join('; ')}`);
          const result = await ledger.recordMesEvent(
            {
              fields: read.fields,
              translation: translate(read.fields, config.dialect.states),
              type: event.header.eventType,
            },
            when,
          );
          // As if the pipeline had published the order events: a pending one would be republished by
          // the gateway's watchdog while part 1 measures.
          if (result.kind === 'recorded' && result.publish.length)
            await ledger.markPublished(
              result.publish.map((out) => out.rowId),
              when,
            );
        }
      }),
    );
  } finally {
    await ledger.close();
  }
}
