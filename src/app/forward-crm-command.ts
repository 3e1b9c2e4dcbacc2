import type { CrmCommand } from '../contracts/generated/crm/command.js';
import { mesCommandId, toMesCommand } from '../adapters/mes/codec.js';
import { done, ledgerFacts, type AppDeps, type Delivery, type MessageOutcome } from './ports.js';

/**
 * CRM command → ledger → MES command (deterministic id) → confirmed publish → mark forwarded; the
 * consumer acks only after this resolves. A crash between any two steps leaves the CRM message
 * unacked; its redelivery finds the ledger row and finishes the remaining steps with the same MES
 * message id.
 */
export function forwardCrmCommand(deps: AppDeps) {
  const { exchanges } = deps.config.gateway.amqp;
  return async (command: CrmCommand, delivery: Delivery): Promise<MessageOutcome> => {
    const now = deps.clock();
    const mesMessageId = mesCommandId(command.messageId);
    const mesCommand = toMesCommand(command, mesMessageId, now);
    const result = await deps.ledger.recordCommand({
      crmMessageId: command.messageId,
      type: command.type,
      orderId: command.orderId,
      ...(command.type === 'order.create' ? { partner: command.partner } : {}),
      sentAt: command.sentAt,
      mes: { messageId: mesMessageId, routingKey: mesCommand.header.messageType, payload: JSON.stringify(mesCommand) },
      ...ledgerFacts(delivery),
    }, now);
    switch (result.kind) {
      case 'already_forwarded':
        return done;
      case 'refused':
        return { kind: 'refused', reason: result.reason };
      case 'forward':
        // Mark forwarded only after the broker confirmed: a crash before this line must redeliver.
        await deps.publisher.publish(exchanges.mesCommands, result.out.routingKey, Buffer.from(result.out.payload), { messageId: result.out.messageId, type: 'mes.command', headers: delivery.trace });
        await deps.ledger.markForwarded(result.out, deps.clock());
        return done;
    }
  };
}
