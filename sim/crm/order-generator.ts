import type { CrmOrderCancel } from '../../src/contracts/generated/crm/order-cancel.js';
import type { CrmOrderCreate, OrderLine } from '../../src/contracts/generated/crm/order-create.js';
import type { CrmOrderUpdate } from '../../src/contracts/generated/crm/order-update.js';
import { pick, seededFraction, seededRandom } from '../shared/seeded.js';

const customers = [
  { id: 'C-10017', name: 'Hartmann Maschinenbau GmbH' },
  { id: 'C-10042', name: 'Nordic Conveyor Systems AB' },
  { id: 'C-10058', name: 'Precision Agri Equipment Ltd' },
  { id: 'C-10103', name: 'Brightwater Pumps Inc.' },
  { id: 'C-10121', name: 'Alpine Lift Technik AG' },
  { id: 'C-10177', name: 'Delta Rail Components S.A.' },
  { id: 'C-10204', name: 'Kowalski Steel Structures Sp. z o.o.' },
  { id: 'C-10233', name: 'Riverside Food Machinery Co.' },
  { id: 'C-10291', name: 'Van der Berg Windtech B.V.' },
  { id: 'C-10318', name: 'Summit Mining Supplies Pty' },
] as const;

const catalogue: readonly {
  sku: string;
  description: string;
  unit: NonNullable<OrderLine['unit']>;
  maxQuantity: number;
}[] = [
  { sku: 'BRK-2040', description: 'Mounting bracket, S235, 40 mm', unit: 'pcs', maxQuantity: 400 },
  { sku: 'FRM-1200', description: 'Welded base frame 1200 x 800', unit: 'pcs', maxQuantity: 12 },
  { sku: 'SHF-0650', description: 'Drive shaft Ø50, hardened', unit: 'pcs', maxQuantity: 60 },
  { sku: 'RAIL-G30', description: 'Guide rail profile 30 mm', unit: 'm', maxQuantity: 250 },
  { sku: 'PLT-0810', description: 'Laser-cut plate 8 mm, galvanised', unit: 'kg', maxQuantity: 900 },
  { sku: 'HSG-3300', description: 'Gearbox housing, machined', unit: 'pcs', maxQuantity: 20 },
  { sku: 'KIT-FAST', description: 'Fastener kit for frame assembly', unit: 'set', maxQuantity: 50 },
  { sku: 'GRD-0900', description: 'Safety guard panel 900 mm', unit: 'pcs', maxQuantity: 80 },
];

const notes = ['Deliver to gate 3', 'Call before delivery', 'Certificate 3.1 required', 'Partial delivery not allowed'];

export function orderIdFor(runId: string, index: number): string {
  return `ORD-${runId}-${String(index).padStart(6, '0')}`;
}

export interface OrderGeneratorOptions {
  seed: number;
  runId: string;
  partner: string;
  cancelShare: number;
  updateShare: number;
}

/**
 * Realistic CRM commands, fixed by the seed: the same seed gives the same customers, lines and
 * follow-ups for order n whatever the run id. Message ids derive from the order id, so a resent
 * command would carry the same one.
 */
export function createOrderGenerator({ seed, runId, partner, cancelShare, updateShare }: OrderGeneratorOptions) {
  return {
    create(index: number, now: number): CrmOrderCreate {
      const random = seededRandom(seed * 1_000_003 + index);
      const orderId = orderIdFor(runId, index);
      const lineCount = 1 + Math.floor(random() * 4);
      const lines = Array.from({ length: lineCount }, () => {
        const item = pick(random, catalogue);
        return {
          sku: item.sku,
          description: item.description,
          quantity: 1 + Math.floor(random() * item.maxQuantity),
          unit: item.unit,
        };
      }) as [OrderLine, ...OrderLine[]];
      const rush = random() < 0.1;
      const note = random() < 0.2 ? pick(random, notes) : undefined;
      return {
        messageId: `${orderId}:create`,
        type: 'order.create',
        sentAt: new Date(now).toISOString(),
        orderId,
        partner,
        customer: { ...pick(random, customers) },
        lines,
        requestedDeliveryDate: dateInDays(now, 14 + Math.floor(random() * 46)),
        priority: rush ? 'rush' : 'normal',
        ...(note ? { notes: note } : {}),
      };
    },
    /** Whether order n gets an order.cancel / order.update after its creation. */
    followUpsOf(index: number): { cancel: boolean; update: boolean } {
      return {
        cancel: seededFraction(seed, 'cancel', String(index)) < cancelShare,
        update: seededFraction(seed, 'update', String(index)) < updateShare,
      };
    },
    cancel(orderId: string, now: number): CrmOrderCancel {
      return {
        messageId: `${orderId}:cancel`,
        type: 'order.cancel',
        sentAt: new Date(now).toISOString(),
        orderId,
        reason: 'Customer no longer needs the parts',
      };
    },
    update(orderId: string, now: number): CrmOrderUpdate {
      return {
        messageId: `${orderId}:update`,
        type: 'order.update',
        sentAt: new Date(now).toISOString(),
        orderId,
        changes: { priority: 'rush', notes: 'Customer asked to expedite' },
      };
    },
  };
}

export type OrderGenerator = ReturnType<typeof createOrderGenerator>;

function dateInDays(now: number, days: number): string {
  return new Date(now + days * 86_400_000).toISOString().slice(0, 10);
}
