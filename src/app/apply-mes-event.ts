import { translate, type MesChange } from '../mapping/index.js';
import type { EventResult } from '../ledger/index.js';
import { done, ledgerFacts, type AppDeps, type Delivery, type MessageOutcome } from './ports.js';
import { publishOut } from './publish-out.js';
import { traceIdsOf } from '../telemetry/tracing.js';

/**
 * MES message → for each state change it carries, in order: translate its state (or quarantine
 * it) → ledger (de-duplicated by event id; acknowledgement, status, attention decided there) →
 * publish the external events with confirms. A change the ledger refuses (e.g. an unknown order)
 * does not stop the others; the message is then dead-lettered with the reasons.
 */
export function applyMesEvent(deps: AppDeps) {
  const { dialect, gateway } = deps.config;
  const keepBodies = gateway.ledger.keepMesEventBodies ?? true;
  return async (changes: MesChange[], delivery: Delivery): Promise<MessageOutcome> => {
    const refusals: string[] = [];
    for (const [index, { fields, type }] of changes.entries()) {
      const translation = translate(fields, dialect.states);
      if (translation.kind === 'quarantine')
        deps.logger.warn(
          { mesState: fields.state, orderId: fields.orderId, ...traceIdsOf(delivery.trace) },
          'unknown MES state quarantined',
        );
      // The message is kept once, with its first change: a what-if run reads all its changes again.
      const body = keepBodies && index === 0 ? { body: delivery.body.toString('utf8') } : {};
      const result = await deps.ledger.recordMesEvent(
        { fields, translation, type, ...body, ...ledgerFacts(delivery) },
        deps.clock(),
      );
      // Freshness of cached MES reads is bounded by event latency, not by their TTL.
      deps.readCache?.invalidateOrder(fields.orderId);
      if (result.kind === 'refused') {
        refusals.push(changes.length > 1 ? `${fields.eventId}: ${result.reason}` : result.reason);
        continue;
      }
      if (result.kind === 'recorded') countEvent(deps, result);
      await publishOut(deps, result.publish, delivery.trace);
    }
    return refusals.length ? { kind: 'refused', reason: refusals.join('; ') } : done;
  };
}

function countEvent({ metrics }: AppDeps, result: Extract<EventResult, { kind: 'recorded' }>): void {
  if (result.state === 'quarantined') metrics?.quarantined.inc();
  if (result.acknowledged)
    metrics?.ackLatency.observe({ outcome: result.acknowledged.outcome }, result.acknowledged.afterMs / 1000);
}
