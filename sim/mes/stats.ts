import type { OrderFault } from './fault-plan.js';
import type { OrderBook } from './order-book.js';

export interface MesStats {
  commandsReceived: number;
  /** Commands whose header.messageId the MES had already seen: each one had no effect. */
  duplicateCommands: number;
  invalidCommands: number;
  /** Commands lost on purpose by --drop-share (re-forwards of a dropped command included). */
  droppedCommands: number;
  /** CREATE_ORDER commands with a new messageId for an order the MES already has (refused DUPLICATE_ORDER). */
  duplicateOrders: number;
  /** Events confirmed by the broker, not counting the copies --duplicate-share added. */
  eventsPublished: number;
  eventsDuplicated: number;
  ordersByState: Record<string, number>;
  orders: Record<string, string>;
  faults: Record<OrderFault, string[]>;
}

/** The MES's counters; the order table supplies the per-state figures. */
export class MesCounters {
  commandsReceived = 0;
  duplicateCommands = 0;
  invalidCommands = 0;
  droppedCommands = 0;
  duplicateOrders = 0;
  eventsPublished = 0;
  eventsDuplicated = 0;
  private readonly affected: Record<OrderFault, Set<string>> = {
    dropped: new Set(),
    stalled: new Set(),
    rejected: new Set(),
    errored: new Set(),
  };

  recordFault(fault: OrderFault, externalRef: string): void {
    this.affected[fault].add(externalRef);
  }

  snapshot(book: OrderBook): MesStats {
    const faults = Object.fromEntries(
      Object.entries(this.affected).map(([fault, refs]) => [fault, [...refs].sort()]),
    ) as Record<OrderFault, string[]>;
    return {
      commandsReceived: this.commandsReceived,
      duplicateCommands: this.duplicateCommands,
      invalidCommands: this.invalidCommands,
      droppedCommands: this.droppedCommands,
      duplicateOrders: this.duplicateOrders,
      eventsPublished: this.eventsPublished,
      eventsDuplicated: this.eventsDuplicated,
      ordersByState: book.countByState(),
      orders: book.stateByRef(),
      faults,
    };
  }
}
