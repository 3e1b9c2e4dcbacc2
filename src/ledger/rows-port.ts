import type { PartnerOrderRows } from './record-partner-order.js';
import type { IntakeRows } from './record-intake.js';

/** Every row-level read and write the ledger's plans are written against; each driver implements it. */
export type LedgerRows = IntakeRows & PartnerOrderRows;
