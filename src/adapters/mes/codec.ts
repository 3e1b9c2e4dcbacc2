import { createHash } from 'node:crypto';
import type { CrmCommand } from '../../contracts/generated/crm/command.js';
import type { CrmOrderCreate } from '../../contracts/generated/crm/order-create.js';
import type { MesCommand } from '../../contracts/generated/mes/command.js';

type Line = CrmOrderCreate['lines'][number];
type Position = NonNullable<MesCommand['body']['positions']>[number];

const messageTypes = { 'order.create': 'CREATE_ORDER', 'order.cancel': 'CANCEL_ORDER', 'order.update': 'CHANGE_ORDER' } as const;
const units = { pcs: 'PCE', m: 'M', kg: 'KG', set: 'SET' } as const;
const priorities = { rush: 2, normal: 5 } as const;

/**
 * The MES message id of a CRM command, derived from the CRM's own id: a re-forward after a crash
 * or a missed acknowledgement carries the same id, so the MES can de-duplicate it.
 */
export function mesCommandId(crmMessageId: string): string {
  return `ob-${createHash('sha256').update(crmMessageId).digest('base64url').slice(0, 27)}`;
}

/** Translates a CRM command into the reference MES's wire format. */
export function toMesCommand(command: CrmCommand, messageId: string, now: number): MesCommand {
  const header = { messageId, messageType: messageTypes[command.type], sender: 'ORDERBRIDGE' as const, createdAt: new Date(now).toISOString() };
  switch (command.type) {
    case 'order.create':
      return {
        header,
        body: {
          externalRef: command.orderId,
          customerNo: command.customer.id,
          customerName: command.customer.name,
          priority: priorities[command.priority ?? 'normal'],
          positions: toPositions(command.lines),
          ...(command.requestedDeliveryDate ? { dueDate: command.requestedDeliveryDate } : {}),
          ...(command.notes ? { remark: command.notes } : {}),
        },
      };
    case 'order.cancel':
      return { header, body: { externalRef: command.orderId, cancelReason: command.reason } };
    case 'order.update': {
      const { changes } = command;
      return {
        header,
        body: {
          externalRef: command.orderId,
          ...(changes.requestedDeliveryDate ? { dueDate: changes.requestedDeliveryDate } : {}),
          ...(changes.priority ? { priority: priorities[changes.priority] } : {}),
          ...(changes.notes ? { remark: changes.notes } : {}),
          ...(changes.lines ? { positions: toPositions(changes.lines) } : {}),
        },
      };
    }
    default: {
      const unknown: never = command;
      throw new Error(`no MES translation for ${JSON.stringify(unknown)}`);
    }
  }
}

function toPositions(lines: Line[]): Position[] {
  return lines.map((line, i) => ({
    pos: (i + 1) * 10,
    material: line.sku,
    qty: line.quantity,
    uom: units[line.unit ?? 'pcs'],
    ...(line.description ? { text: line.description } : {}),
  }));
}
