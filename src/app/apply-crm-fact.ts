import type { CrmFact } from '../contracts/generated/crm/fact.js';
import type { OrderStatus } from '../mapping/index.js';
import { done, ledgerFacts, type AppDeps, type Delivery, type MessageOutcome } from './ports.js';
import { publishOut } from './publish-out.js';

const statusOfFact: Record<CrmFact['type'], OrderStatus> = {
  'order.delivered': 'delivered',
  'order.cancelled': 'cancelled',
};

/** CRM-owned facts (delivered, cancelled by the customer) feed the same order state as MES events. */
export function applyCrmFact(deps: AppDeps) {
  return async (fact: CrmFact, delivery: Delivery): Promise<MessageOutcome> => {
    const result = await deps.ledger.recordCrmFact(
      {
        messageId: fact.messageId,
        type: fact.type,
        orderId: fact.orderId,
        status: statusOfFact[fact.type],
        occurredAt: fact.occurredAt,
        ...(fact.reason ? { reason: fact.reason } : {}),
        ...ledgerFacts(delivery),
      },
      deps.clock(),
    );
    if (result.kind === 'refused') return { kind: 'refused', reason: result.reason };
    if (result.kind === 'id_reused') return { kind: 'invalid', reason: result.reason };
    await publishOut(deps, result.publish, delivery.trace);
    return done;
  };
}
