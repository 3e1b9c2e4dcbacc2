import { translate, type MesEventFields } from '../mapping/index.js';
import type { EventResult } from '../ledger/index.js';
import { done, ledgerFacts, type AppDeps, type Delivery, type MessageOutcome } from './ports.js';
import { publishOut } from './publish-out.js';

/** An MES event as the dialect read it: the fields the gateway needs, and the MES's own event type. */
export interface MesEventInput {
  fields: MesEventFields;
  type: string;
}

/**
 * MES event → translate its state (or quarantine it) → ledger (de-duplicated by event id;
 * acknowledgement, status, attention decided there) → publish the external events with confirms.
 */
export function applyMesEvent(deps: AppDeps) {
  const { mapping } = deps.config;
  return async ({ fields, type }: MesEventInput, delivery: Delivery): Promise<MessageOutcome> => {
    const translation = translate(fields, mapping.states);
    if (translation.kind === 'quarantine') deps.logger.warn({ mesState: fields.state, orderId: fields.orderId }, 'unknown MES state quarantined');
    const result = await deps.ledger.recordMesEvent({ fields, translation, type, ...ledgerFacts(delivery) }, deps.clock());
    // Freshness of cached MES reads is bounded by event latency, not by their TTL.
    deps.readCache?.invalidateOrder(fields.orderId);
    if (result.kind === 'refused') return { kind: 'refused', reason: result.reason };
    if (result.kind === 'recorded') countEvent(deps, result);
    await publishOut(deps, result.publish, delivery.trace);
    return done;
  };
}

function countEvent({ metrics }: AppDeps, result: Extract<EventResult, { kind: 'recorded' }>): void {
  if (result.state === 'quarantined') metrics?.quarantined.inc();
  if (result.acknowledged) metrics?.ackLatency.observe({ outcome: result.acknowledged.outcome }, result.acknowledged.afterMs / 1000);
}
