import {
  markForwarded,
  markPublished,
  recordCommand,
  recordCrmFact,
  recordInvalid,
  recordMesEvent,
} from '../record-intake.js';
import { runAwaiting } from '../plan.js';
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
import type { PgContext } from './context.js';
import type { Tx } from './group-commit.js';
import type { LedgerRows } from '../rows-port.js';
import { pgRows } from './rows-port.js';

/** The pipeline's writes (src/ledger/record-intake.ts), each in a unit that locks the orders it touches. */
export class PgIntake {
  constructor(private readonly ctx: PgContext) {}

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run({ orders: [input.orderId] }, (tx) =>
      runAwaiting(recordCommand(this.rows(tx), input, now)),
    );
  }

  markForwarded(out: CommandOut, now: number): Promise<void> {
    return this.ctx.commits.run({ messageRows: [out.rowId] }, async (tx) =>
      markForwarded(this.rows(tx), out, now, this.ctx.policy),
    );
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run({ orders: [input.fields.orderId] }, (tx) =>
      runAwaiting(recordMesEvent(this.rows(tx), input, now, this.ctx.policy)),
    );
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult | IdReused> {
    return this.ctx.commits.run({ orders: [input.orderId] }, (tx) =>
      runAwaiting(recordCrmFact(this.rows(tx), input, now, this.ctx.policy)),
    );
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run({ orders: input.orderId ? [input.orderId] : [] }, (tx) =>
      runAwaiting(recordInvalid(this.rows(tx), input, now)),
    );
  }

  markPublished(rowIds: number[], now: number): Promise<OutMessage[]> {
    return this.ctx.commits.run({ messageRows: rowIds }, (tx) =>
      runAwaiting(markPublished(this.rows(tx), rowIds, now)),
    );
  }

  private rows(tx: Tx): LedgerRows {
    return pgRows(this.ctx, tx);
  }
}
