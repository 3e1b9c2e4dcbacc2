import type { KeptMesMessage, MessageChannel } from '../model.js';
import type { SqliteContext } from './context.js';

/** What the ops tools record: dead-letter origins and replays, the MES's answers to the report. */
export class SqliteOpsRecords {
  constructor(private readonly ctx: SqliteContext) {}

  /** The input channels on which the gateway dead-lettered a message known by one of these ids. */
  async deadLetteredChannels(messageIds: string[]): Promise<MessageChannel[]> {
    return this.ctx.sql.deadLetteredChannels.pluck().all({ ids: JSON.stringify(messageIds) }) as MessageChannel[];
  }

  /**
   * Before a dead letter is replayed: a message refused earlier gives up its id (renamed, kept for the
   * record), so the replayed copy is handled afresh instead of as a duplicate; the replay is journalled.
   */
  releaseDeadLetter(
    channel: string,
    messageIds: string[],
    detail: { orderId?: string } & Record<string, unknown>,
    now: number,
  ): Promise<void> {
    return this.ctx.commits.run(() => {
      for (const messageId of messageIds) this.ctx.sql.releaseRefused.run({ channel, messageId });
      this.ctx.journal(now, detail.orderId ?? null, null, { kind: 'replayed', detail });
    });
  }

  /** The MES messages received in [from, to) as they arrived, oldest first (for a what-if run of a changed dialect). */
  async mesEventBodies(from: number, to: number, limit: number): Promise<KeptMesMessage[]> {
    return this.ctx.sql.mesEventBodies.all({ from, to, limit }) as KeptMesMessage[];
  }

  /** Notes in the order's journal what the MES said when the reconciliation report asked it. */
  recordReconciliation(orderId: string, detail: Record<string, unknown>, now: number): Promise<void> {
    return this.ctx.commits.run(() => this.ctx.journal(now, orderId, null, { kind: 'reconciled', detail }));
  }
}
