import { hash } from 'node:crypto';
import type { CrmCommand } from '../contracts/generated/crm/command.js';
import { validatorForSchema } from '../contracts/validate.js';
import { mesCommandWriter, type CommandCheck } from '../mapping/index.js';
import type { Config } from '../config/index.js';
import { done, ledgerFacts, type AppDeps, type Delivery, type MessageOutcome } from './ports.js';

/**
 * The MES message id of a CRM command, derived from the CRM's own id: a re-forward after a crash
 * or a missed acknowledgement carries the same id, so the MES can de-duplicate it.
 */
export function mesCommandId(crmMessageId: string): string {
  // The one-shot hash: createHash() costs several times more per call.
  return `ob-${hash('sha256', crmMessageId, 'base64url').slice(0, 27)}`;
}

/** The dialect's command writer, its output checked against the dialect's command schema. */
export function dialectCommandWriter({ dialect, dialectSchemas }: Pick<Config, 'dialect' | 'dialectSchemas'>) {
  const validate = validatorForSchema(dialectSchemas.command);
  const check: CommandCheck = (message) => {
    const valid = validate(message);
    return valid.ok ? undefined : valid.problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; ');
  };
  return mesCommandWriter(dialect.commands, check);
}

/**
 * CRM command → MES command by the dialect (deterministic id) → ledger → confirmed publish → mark
 * forwarded; the consumer acks only after this resolves. A crash between any two steps leaves the
 * CRM message unacked; its redelivery finds the ledger row and finishes the remaining steps with
 * the same MES message id. A command the dialect cannot write is invalid: dead-lettered, not sent.
 */
export function forwardCrmCommand(deps: AppDeps) {
  const { exchanges } = deps.config.gateway.amqp;
  const writeMesCommand = dialectCommandWriter(deps.config);
  return async (command: CrmCommand, delivery: Delivery): Promise<MessageOutcome> => {
    const now = deps.clock();
    const mesMessageId = mesCommandId(command.messageId);
    const mesCommand = writeMesCommand(command, mesMessageId, now);
    if (!mesCommand.ok) return { kind: 'invalid', reason: mesCommand.error };
    const result = await deps.ledger.recordCommand(
      {
        crmMessageId: command.messageId,
        type: command.type,
        orderId: command.orderId,
        ...(command.type === 'order.create' ? { partner: command.partner } : {}),
        sentAt: command.sentAt,
        mes: {
          messageId: mesMessageId,
          routingKey: mesCommand.routingKey,
          payload: JSON.stringify(mesCommand.message),
        },
        ...ledgerFacts(delivery),
      },
      now,
    );
    switch (result.kind) {
      case 'already_forwarded':
        return done;
      case 'refused':
        return { kind: 'refused', reason: result.reason };
      case 'id_reused':
        return { kind: 'invalid', reason: result.reason };
      case 'forward':
        // Mark forwarded only after the broker confirmed: a crash before this line must redeliver.
        await deps.publisher.publish(exchanges.mesCommands, result.out.routingKey, Buffer.from(result.out.payload), {
          messageId: result.out.messageId,
          type: 'mes.command',
          headers: delivery.trace,
        });
        await deps.ledger.markForwarded(result.out, deps.clock());
        return done;
    }
  };
}
