import type { PartnerOrderRows } from './record-partner-order.js';
import type { WatchdogRows } from './record-watchdog.js';

/** Every row-level read and write the ledger's plans are written against; each driver implements it. */
export type LedgerRows = WatchdogRows & PartnerOrderRows;
