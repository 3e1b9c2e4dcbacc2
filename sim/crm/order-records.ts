import type { OrderEvent, OrderStatus } from '../../src/contracts/generated/external/order-event.js';

export type Acknowledgement = NonNullable<OrderEvent['data']['acknowledgement']>;
export type AttentionKind = NonNullable<OrderEvent['data']['attention']>;

/** What the CRM knows about one of its orders: what it sent and everything it heard back. */
export interface CrmOrderRecord {
  orderId: string;
  createMessageId: string;
  sentMessageIds: string[];
  eventIds: Set<string>;
  status?: OrderStatus;
  statusAt?: number;
  /** Whether `status` came from a status_changed event (not from another kind's snapshot). */
  statusFromChange?: boolean;
  /** The MES's answer to the order.create command. */
  ack?: Acknowledgement;
  /** Answers to the other commands, by message id. */
  commandAcks: Record<string, Acknowledgement>;
  attention: Set<AttentionKind>;
  /** When each kind of attention was last raised or cleared, as the events say. */
  attentionAt: Partial<Record<AttentionKind, number>>;
  deliveryScheduled: boolean;
}

export type Hearing =
  | { kind: 'foreign' }
  | { kind: 'duplicate' }
  | { kind: 'recorded'; record: CrmOrderRecord; becameShipped: boolean };

const terminalStatuses: ReadonlySet<OrderStatus> = new Set(['delivered', 'rejected', 'cancelled']);

/** The CRM's order table. */
export class CrmOrders {
  private readonly records = new Map<string, CrmOrderRecord>();
  duplicateEventsHeard = 0;
  foreignEventsHeard = 0;

  noteCreate(orderId: string, messageId: string): void {
    this.records.set(orderId, {
      orderId,
      createMessageId: messageId,
      sentMessageIds: [messageId],
      eventIds: new Set(),
      commandAcks: {},
      attention: new Set(),
      attentionAt: {},
      deliveryScheduled: false,
    });
  }

  noteSent(orderId: string, messageId: string): void {
    this.records.get(orderId)?.sentMessageIds.push(messageId);
  }

  /** Records one external event; de-duplicated by its CloudEvent id. */
  hear(event: OrderEvent): Hearing {
    const record = this.records.get(event.data.orderId);
    if (!record) {
      this.foreignEventsHeard += 1;
      return { kind: 'foreign' };
    }
    if (record.eventIds.has(event.id)) {
      this.duplicateEventsHeard += 1;
      return { kind: 'duplicate' };
    }
    record.eventIds.add(event.id);
    const { data } = event;
    const wasShipped = record.status === 'shipped';
    // Events may arrive out of order; the newest change says the status, whatever came last. The
    // other kinds carry the status the gateway held when it sent them, stamped with that moment: an
    // acknowledgement found by asking the MES is stamped when it asked, later than MES changes it had
    // not applied yet. They stand in only until a status change is heard.
    const at = Date.parse(data.occurredAt);
    const change = data.kind === 'status_changed';
    const newer = record.statusAt === undefined || at >= record.statusAt;
    if (change ? newer || !record.statusFromChange : newer && !record.statusFromChange) {
      record.status = data.status;
      record.statusAt = at;
      record.statusFromChange ||= change;
    }
    switch (data.kind) {
      case 'acknowledged':
        if (data.acknowledgement) {
          if (data.commandId && data.commandId !== record.createMessageId)
            record.commandAcks[data.commandId] = data.acknowledgement;
          else record.ack = data.acknowledgement;
        }
        break;
      // A flag raised and cleared may arrive the other way round (an event republished after a
      // gateway died unconfirmed): the later of the two says whether it stands.
      case 'attention_raised':
      case 'attention_cleared':
        if (data.attention && at >= (record.attentionAt[data.attention] ?? Number.NEGATIVE_INFINITY)) {
          record.attentionAt[data.attention] = at;
          if (data.kind === 'attention_raised') record.attention.add(data.attention);
          else record.attention.delete(data.attention);
        }
        break;
      case 'status_changed':
        break;
      default: {
        const unknown: never = data.kind;
        throw new Error(`unknown event kind ${String(unknown)}`);
      }
    }
    return { kind: 'recorded', record, becameShipped: !wasShipped && record.status === 'shipped' };
  }

  get size(): number {
    return this.records.size;
  }

  all(): Iterable<CrmOrderRecord> {
    return this.records.values();
  }

  everyOrderAnswered(): boolean {
    for (const record of this.records.values()) if (!hasFinalAnswer(record)) return false;
    return true;
  }
}

/** An order is answered for good once it is terminal, flagged lost or stuck, or its creation was refused or failed. */
export function hasFinalAnswer(record: CrmOrderRecord): boolean {
  return (
    (record.status !== undefined && terminalStatuses.has(record.status)) ||
    record.attention.size > 0 ||
    record.ack === 'failed' ||
    record.ack === 'rejected'
  );
}
