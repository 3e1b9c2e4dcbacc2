// The acknowledgement ledger: pure decisions (decide-*) and the stores that carry them out.
export type { LedgerStore, OutMessage, PartnerOrderInput, PartnerOrderResult, CommandInput, CommandResult, MesEventInput, CrmFactInput, EventResult, InvalidInput, TimelineEntry, LedgerStats, LedgerPolicy } from './store.js';
export type { OrderRecord, Attention, OpenCommand, StatusChange, OrderQuery, StatusHistoryEntry } from './model.js';
export { openSqliteLedger, openSqliteLedgerReader, SqliteLedger, LedgerNotFoundError, type SqliteLedgerOptions, type OrderEventDeliveries } from './sqlite-store.js';
export { toOrderEvent, routingKeyFor } from './order-event.js';
export { ackDueAt, type AckPolicy } from './decide-watchdog.js';
export type { Deadlines } from './decide-status.js';
export { LedgerUnavailableError } from './ledger-errors.js';
