import { runNow } from '../plan.js';
import {
  markForwarded,
  markPublished,
  recordCommand,
  recordCrmFact,
  recordInvalid,
  recordMesEvent,
} from '../record-intake.js';
import type {
  CommandInput,
  CommandOut,
  CommandResult,
  CrmFactInput,
  EventResult,
  IdReused,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import type { SqliteContext } from './context.js';

/** The pipeline's writes (src/ledger/record-intake.ts), each a unit of the group commit. */
export class SqliteIntake {
  constructor(private readonly ctx: SqliteContext) {}

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run(() => runNow(recordCommand(this.ctx.rows, input, now)));
  }

  markForwarded(out: CommandOut, now: number): Promise<void> {
    return this.ctx.commits.run(() => markForwarded(this.ctx.rows, out, now, this.ctx.policy));
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => runNow(recordMesEvent(this.ctx.rows, input, now, this.ctx.policy)));
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult | IdReused> {
    return this.ctx.commits.run(() => runNow(recordCrmFact(this.ctx.rows, input, now, this.ctx.policy)));
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run(() => runNow(recordInvalid(this.ctx.rows, input, now)));
  }

  markPublished(rowIds: number[], now: number): Promise<OutMessage[]> {
    return this.ctx.commits.run(() => runNow(markPublished(this.ctx.rows, rowIds, now)));
  }
}
