import type { CrmFact } from '../contracts/generated/crm/fact.js';
import { validatorFor } from '../contracts/validate.js';
import type { OrderStatus } from '../mapping/index.js';
import type { Settlement } from './deps.js';
import { amqpInputLimits, decodeDelivery } from './decode.js';
import { deadLetterAndAck, describeProblems } from './dead-letter.js';
import type { InboundMessage, PipelineDeps } from './deps.js';
import { publishOut } from './publish-out.js';
import { deadLetterOnHandlerError } from './handler-errors.js';
import { deliveryOf } from './delivery.js';

const validateFact = validatorFor<CrmFact>('crmFact');
const statusOfFact: Record<CrmFact['type'], OrderStatus> = { 'order.delivered': 'delivered', 'order.cancelled': 'cancelled' };

/** CRM-owned facts (delivered, cancelled by the customer) feed the same order state as MES events. */
export function handleCrmFact(deps: PipelineDeps) {
  const limits = amqpInputLimits(deps.config.gateway);
  return deadLetterOnHandlerError(deps, 'crm.fact', async (message: InboundMessage): Promise<Settlement> => {
    const decoded = decodeDelivery(message, limits);
    if (!decoded.ok) return deadLetterAndAck(deps, message, { channel: 'crm.fact', reason: decoded.reason, error: decoded.error });
    const valid = validateFact(decoded.value);
    if (!valid.ok) return deadLetterAndAck(deps, message, { channel: 'crm.fact', reason: 'invalid', error: describeProblems(valid.problems), decoded: decoded.value });
    const fact = valid.value;
    const result = await deps.ledger.recordCrmFact({
      messageId: fact.messageId,
      type: fact.type,
      orderId: fact.orderId,
      status: statusOfFact[fact.type],
      occurredAt: fact.occurredAt,
      ...(fact.reason ? { reason: fact.reason } : {}),
      ...deliveryOf(message),
    }, deps.clock());
    if (result.kind === 'refused') return deadLetterAndAck(deps, message, { channel: 'crm.fact', reason: 'refused', error: result.reason, decoded: decoded.value });
    await publishOut(deps, result.publish, message);
    return 'ack';
  });
}
