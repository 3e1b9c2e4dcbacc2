import type { DialectConfig } from '../contracts/generated/config/dialect.js';

/**
 * How the MES answers a CRM command: by naming it (correlation id), or by the first state with an
 * `ack` reported for an order whose create is still open. Unless the dialect says, an MES whose
 * events carry a correlation id answers by it.
 */
export function acknowledgedBy(dialect: Pick<DialectConfig, 'acknowledgement' | 'events'>): 'correlationId' | 'state' {
  return dialect.acknowledgement?.by ?? (dialect.events.paths.correlationId !== undefined ? 'correlationId' : 'state');
}
