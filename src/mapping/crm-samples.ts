import type {
  CrmCommand,
  CrmOrderCancel,
  CrmOrderCreate,
  CrmOrderUpdate,
  OrderLine,
} from '../contracts/generated/crm/command.js';
import type { TemplateContext } from './command-template.js';

/**
 * Synthetic CRM commands for checking a dialect's templates end to end: per type the least the CRM
 * may send and the most (every optional field, every unit). They follow the CRM contracts (a unit
 * test validates them), so a command a template builds from them that the MES schema refuses is
 * a command the gateway would dead-letter in production.
 */
export interface CrmSample {
  /** e.g. "minimal order.create". */
  name: string;
  command: CrmCommand;
}

const envelope = { sentAt: '2026-03-02T08:15:00Z', orderId: 'ORD-2026-0042' };
const line: OrderLine = { sku: 'BRK-100', quantity: 2 };
const lines: OrderLine[] = [
  { sku: 'BRK-100', description: 'Bracket, galvanised', quantity: 12, unit: 'pcs' },
  { sku: 'RAIL-2M', description: 'Rail, cut to length', quantity: 40, unit: 'm' },
  { sku: 'PWD-RAL7016', description: 'Powder coating, anthracite', quantity: 3, unit: 'kg' },
  { sku: 'KIT-7', description: 'Fastener kit', quantity: 1, unit: 'set' },
];

const minimalCreate: CrmOrderCreate = {
  messageId: 'crm-1',
  type: 'order.create',
  ...envelope,
  partner: 'shop',
  customer: { id: 'C-1007', name: 'Nordbau GmbH' },
  lines: [line],
};
const fullCreate: CrmOrderCreate = {
  ...minimalCreate,
  messageId: 'crm-2',
  lines,
  requestedDeliveryDate: '2026-04-15',
  priority: 'rush',
  notes: 'Deliver to gate 3; call before arrival.',
};
const cancel: CrmOrderCancel = {
  messageId: 'crm-3',
  type: 'order.cancel',
  ...envelope,
  reason: 'Customer withdrew the order',
};
const update = (messageId: string, changes: CrmOrderUpdate['changes']): CrmOrderUpdate => ({
  messageId,
  type: 'order.update',
  ...envelope,
  changes,
});

export const crmSamples: readonly CrmSample[] = [
  { name: 'minimal order.create', command: minimalCreate },
  { name: 'full order.create', command: fullCreate },
  { name: 'order.cancel', command: cancel },
  { name: 'order.update of the delivery date only', command: update('crm-4', { requestedDeliveryDate: '2026-05-04' }) },
  { name: 'order.update of the priority only', command: update('crm-5', { priority: 'normal' }) },
  { name: 'order.update of the notes only', command: update('crm-6', { notes: 'Second gate closed.' }) },
  { name: 'order.update of the lines only', command: update('crm-7', { lines: [line] }) },
  {
    name: 'full order.update',
    command: update('crm-8', {
      requestedDeliveryDate: '2026-05-04',
      priority: 'rush',
      notes: 'Partial delivery allowed.',
      lines,
    }),
  },
];

/** What the gateway supplies to a sample: a message id as it derives them, and a fixed time. */
export function sampleContext(commandType: string): TemplateContext {
  return { messageId: 'ob-Xk3Jd9Vq_Lw2xZtR8bNcY4hPmEa', now: Date.UTC(2026, 2, 2, 8, 15, 1), commandType };
}
