// The acknowledgement ledger: pure decisions (decide-*) and the stores that carry them out.
export type {
  LedgerStore,
  OutMessage,
  PartnerOrderInput,
  PartnerOrderResult,
  CommandInput,
  CommandResult,
  MesEventInput,
  CrmFactInput,
  EventResult,
  InvalidInput,
  TimelineEntry,
  LedgerStats,
  LedgerPolicy,
  Pruned,
  RetentionPort,
  OpsLedger,
} from './store.js';
export type { ReportRows } from './report-rows.js';
export type { WebhookStore, NewDelivery, DueDelivery, DeliveryRecord, AttemptRecord } from './webhook-store.js';
export type {
  OrderRecord,
  Attention,
  OpenCommand,
  StatusChange,
  OrderQuery,
  StatusHistoryEntry,
  KeptMesMessage,
} from './model.js';
export {
  openSqliteLedger,
  openSqliteLedgerReader,
  type SqliteLedgerOptions,
} from './sqlite/open.js';
export { SqliteLedger } from './sqlite/ledger.js';
export {
  openPostgresLedger,
  maskedUrl,
  PostgresUnreachableError,
  PostgresLedgerNotFoundError,
  type PostgresLedgerOptions,
} from './postgres/open.js';
export { PostgresLedger } from './postgres/ledger.js';
export {
  openLedger,
  ledgerTarget,
  describeLedger,
  LedgerUrlMissingError,
  type Ledger,
  type LedgerTarget,
  type OpenLedgerOptions,
} from './open-ledger.js';
export type { OrderEventDeliveries } from './webhook-store.js';
export { toOrderEvent, routingKeyFor } from './order-event.js';
export { ledgerPolicy } from './ledger-policy.js';
export { ackDueAt, type AckPolicy } from './decide-watchdog.js';
export type { Deadlines } from './decide-status.js';
export {
  ordersNeedingAction,
  byUrgency,
  urgencyOf,
  type ActionReason,
  type NeedsActionRows,
  type OrderNeedingAction,
} from './decide-needs-action.js';
export { LedgerNotFoundError, LedgerUnavailableError } from './ledger-errors.js';
