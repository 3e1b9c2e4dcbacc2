import { runNow } from '../plan.js';
import { markForwarded, recordCommand, recordCrmFact, recordInvalid, recordMesEvent } from '../record-intake.js';
import type {
  CommandInput,
  CommandResult,
  CrmFactInput,
  EventResult,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import type { SqliteContext } from './context.js';
import type { LedgerRows } from '../rows-port.js';
import { sqliteRows } from './rows-port.js';

/** The pipeline's writes (src/ledger/record-intake.ts), each a unit of the group commit. */
export class SqliteIntake {
  private readonly rows: LedgerRows;

  constructor(private readonly ctx: SqliteContext) {
    this.rows = sqliteRows(ctx);
  }

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run(() => runNow(recordCommand(this.rows, input, now)));
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.ctx.commits.run(() => markForwarded(this.rows, out.rowId, now, this.ctx.policy));
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => runNow(recordMesEvent(this.rows, input, now, this.ctx.policy)));
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => runNow(recordCrmFact(this.rows, input, now, this.ctx.policy)));
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run(() => runNow(recordInvalid(this.rows, input, now)));
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.ctx.commits.run(() => this.rows.markPublished(rowIds, now));
  }
}
