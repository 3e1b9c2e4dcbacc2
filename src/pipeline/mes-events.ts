import type { MesEvent } from '../contracts/generated/mes/event.js';
import { validatorFor } from '../contracts/validate.js';
import { readMesEvent, translate } from '../mapping/index.js';
import type { Settlement } from './deps.js';
import { amqpInputLimits, decodeDelivery } from './decode.js';
import { deadLetterAndAck, describeProblems } from './dead-letter.js';
import type { InboundMessage, PipelineDeps } from './deps.js';
import type { EventResult } from '../ledger/index.js';
import { publishOut } from './publish-out.js';
import { deadLetterOnHandlerError } from './handler-errors.js';
import { deliveryOf } from './delivery.js';

const validateMesEvent = validatorFor<MesEvent>('mesEvent');

/**
 * MES event → validate → read by the mapping's paths → translate (or quarantine) → ledger
 * (de-duplicated by event id; acknowledgement, status, attention decided there) → publish the
 * external events with confirms → ack.
 */
export function handleMesEvent(deps: PipelineDeps) {
  const limits = amqpInputLimits(deps.config.gateway);
  const { mapping } = deps.config;
  return deadLetterOnHandlerError(deps, 'mes.event', async (message: InboundMessage): Promise<Settlement> => {
    const decoded = decodeDelivery(message, limits);
    if (!decoded.ok) return deadLetterAndAck(deps, message, { channel: 'mes.event', reason: decoded.reason, error: decoded.error });
    const valid = validateMesEvent(decoded.value);
    if (!valid.ok) return deadLetterAndAck(deps, message, { channel: 'mes.event', reason: 'invalid', error: describeProblems(valid.problems), decoded: decoded.value });
    const read = readMesEvent(valid.value, mapping.paths);
    if (!read.ok) return deadLetterAndAck(deps, message, { channel: 'mes.event', reason: 'invalid', error: read.problems.join('; '), decoded: decoded.value });

    const translation = translate(read.fields, mapping.states);
    if (translation.kind === 'quarantine') deps.logger.warn({ mesState: read.fields.state, orderId: read.fields.orderId }, 'unknown MES state quarantined');
    const result = await deps.ledger.recordMesEvent({ fields: read.fields, translation, type: valid.value.header.eventType, ...deliveryOf(message) }, deps.clock());
    // Freshness of cached MES reads is bounded by event latency, not by their TTL.
    deps.readCache?.invalidateOrder(read.fields.orderId);
    if (result.kind === 'refused') return deadLetterAndAck(deps, message, { channel: 'mes.event', reason: 'refused', error: result.reason });
    if (result.kind === 'recorded') countEvent(deps, result);
    await publishOut(deps, result.publish, message);
    return 'ack';
  });
}

function countEvent({ metrics }: PipelineDeps, result: Extract<EventResult, { kind: 'recorded' }>): void {
  if (result.state === 'quarantined') metrics?.quarantined.inc();
  if (result.acknowledged) metrics?.ackLatency.observe({ outcome: result.acknowledged.outcome }, result.acknowledged.afterMs / 1000);
}
