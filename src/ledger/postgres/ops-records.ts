import type { KeptMesMessage, MessageChannel } from '../model.js';
import type { PgContext } from './context.js';
import { sql } from './statements.js';

/** What the ops tools record: dead-letter origins and replays, the MES's answers to the report. */
export class PgOpsRecords {
  constructor(private readonly ctx: PgContext) {}

  /** The input channels on which the gateway dead-lettered a message known by one of these ids. */
  async deadLetteredChannels(messageIds: string[]): Promise<MessageChannel[]> {
    const rows = await this.ctx.rows<{ channel: MessageChannel }>(sql.deadLetteredChannels, [messageIds]);
    return rows.map((row) => row.channel);
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
    return this.ctx.commits.run({ orders: detail.orderId ? [detail.orderId] : [] }, async (tx) => {
      tx.send(sql.releaseRefused, [channel, messageIds]);
      this.ctx.journal(tx, now, detail.orderId ?? null, null, { kind: 'replayed', detail });
    });
  }

  /** The MES messages received in [from, to) as they arrived, oldest first (for a what-if run of a changed dialect). */
  async mesEventBodies(from: number, to: number, limit: number): Promise<KeptMesMessage[]> {
    return this.ctx.rows<KeptMesMessage>(sql.mesEventBodies, [from, to, limit]);
  }

  /** Notes in the order's journal what the MES said when the reconciliation report asked it. */
  recordReconciliation(orderId: string, detail: Record<string, unknown>, now: number): Promise<void> {
    return this.ctx.commits.run({ orders: [orderId] }, async (tx) => {
      this.ctx.journal(tx, now, orderId, null, { kind: 'reconciled', detail });
    });
  }
}
