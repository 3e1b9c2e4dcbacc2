import type { CrmCommand } from '../contracts/generated/crm/command.js';
import { validatorFor, type Validator } from '../contracts/validate.js';
import { mesCommandId, toMesCommand } from '../adapters/mes/codec.js';
import type { Settlement } from './deps.js';
import { amqpInputLimits, decodeDelivery, stringField } from './decode.js';
import { deadLetterAndAck, describeProblems } from './dead-letter.js';
import type { InboundMessage, PipelineDeps } from './deps.js';
import { deadLetterOnHandlerError } from './handler-errors.js';
import { deliveryOf, traceOf } from './delivery.js';

const validators: Record<CrmCommand['type'], Validator<CrmCommand>> = {
  'order.create': validatorFor('crmOrderCreate'),
  'order.cancel': validatorFor('crmOrderCancel'),
  'order.update': validatorFor('crmOrderUpdate'),
};

/**
 * CRM command → validate → ledger → MES command (deterministic id) → confirmed publish → mark
 * forwarded → ack. A crash between any two steps leaves the CRM message unacked; its redelivery
 * finds the ledger row and finishes the remaining steps with the same MES message id.
 */
export function handleCrmCommand(deps: PipelineDeps) {
  const { exchanges } = deps.config.gateway.amqp;
  const limits = amqpInputLimits(deps.config.gateway);
  return deadLetterOnHandlerError(deps, 'crm.command', async (message: InboundMessage): Promise<Settlement> => {
    const decoded = decodeDelivery(message, limits);
    if (!decoded.ok) return deadLetterAndAck(deps, message, { channel: 'crm.command', reason: decoded.reason, error: decoded.error });
    const type = stringField(decoded.value, 'type');
    const validate = type !== undefined && Object.hasOwn(validators, type) ? validators[type as CrmCommand['type']] : undefined;
    if (!validate) {
      return deadLetterAndAck(deps, message, { channel: 'crm.command', reason: 'invalid', error: `/type: ${JSON.stringify(type ?? null)} is not a CRM command (fix: use order.create, order.cancel or order.update)`, decoded: decoded.value });
    }
    const valid = validate(decoded.value);
    if (!valid.ok) return deadLetterAndAck(deps, message, { channel: 'crm.command', reason: 'invalid', error: describeProblems(valid.problems), decoded: decoded.value });

    const command = valid.value;
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
      ...deliveryOf(message),
    }, now);
    switch (result.kind) {
      case 'already_forwarded':
        return 'ack';
      case 'refused':
        return deadLetterAndAck(deps, message, { channel: 'crm.command', reason: 'refused', error: result.reason, decoded: decoded.value });
      case 'forward':
        // Mark forwarded only after the broker confirmed: a crash before this line must redeliver.
        await deps.publisher.publish(exchanges.mesCommands, result.out.routingKey, Buffer.from(result.out.payload), { messageId: result.out.messageId, type: 'mes.command', headers: traceOf(message) });
        await deps.ledger.markForwarded(result.out, deps.clock());
        return 'ack';
    }
  });
}
