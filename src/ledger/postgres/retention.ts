import type { Pool, PoolClient } from 'pg';
import { ofFlaggedOrder, openMessageStates, terminalStatuses } from '../retention-rules.js';
import type { Pruned, RetentionPort } from '../store.js';
import type { PgGroupCommit } from './group-commit.js';
import {
  dayMs,
  dayPartitions,
  type PgPartitions,
  type PartitionsMade,
  partitionName,
  rowIdsPerDay,
} from './partitions.js';

const open = openMessageStates;
const terminal = terminalStatuses;
/** A message nothing needs any more: final, due for nothing, its order not flagged (as on SQLite). */
const finalMessage = (alias: string) =>
  `${alias}.state NOT IN ${open} AND ${alias}.due_at IS NULL AND NOT ${ofFlaggedOrder(alias)}`;

/** The advisory lock a gateway holds while it prunes: the others skip that tick. */
export const retentionLockKey = 0x6f6272657461696en; // 'obretain'

// Row by row, $1 cutoff, $2 batch, as the SQLite pruner (src/ledger/sqlite/retention.ts) — on the
// DEFAULT partitions only: what retention kept when it dropped their day, and rows written while
// their day had no partition. Whole days go by dropping partitions (dropDay).
const rowStatements = {
  // Only messages nothing else was caused by: a chain (CRM command → MES command → the order event
  // flagging it lost) goes from its end, one link per step, and a batch boundary can never leave a
  // kept message pointing at a removed one. Their keys go with them.
  messages: `WITH gone AS (
      DELETE FROM messages_default WHERE id IN (
        SELECT m.id FROM messages_default m
        WHERE m.created_at < $1 AND ${finalMessage('m')} AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.cause_id = m.id)
        ORDER BY m.created_at LIMIT $2)
      RETURNING id),
    keys AS (DELETE FROM message_keys k USING gone WHERE k.row_id = gone.id)
    SELECT COUNT(*)::int AS n FROM gone`,
  journal: `WITH gone AS (
      DELETE FROM journal_default WHERE id IN (
        SELECT j.id FROM journal_default j WHERE j.at < $1 AND NOT ${ofFlaggedOrder('j')} ORDER BY j.at LIMIT $2)
      RETURNING 1)
    SELECT COUNT(*)::int AS n FROM gone`,
  orders: `WITH gone AS (
      DELETE FROM orders WHERE order_id IN (
        SELECT order_id FROM orders WHERE updated_at < $1 AND status IN (${terminal}) AND attention IS NULL ORDER BY updated_at LIMIT $2)
      RETURNING 1)
    SELECT COUNT(*)::int AS n FROM gone`,
  webhookDeliveries: `WITH gone AS (
      DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries WHERE updated_at < $1 AND state <> 'pending' LIMIT $2)
      RETURNING 1)
    SELECT COUNT(*)::int AS n FROM gone`,
  idempotencyKeys: `WITH gone AS (
      DELETE FROM idempotency_keys WHERE (partner, key) IN (
        SELECT partner, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)
      RETURNING 1)
    SELECT COUNT(*)::int AS n FROM gone`,
} as const;

/**
 * What of a detached day partition `part` must stay ($1, $2: its first and past-last id): the same
 * rules as row by row — open or due, of a flagged order, or the cause of a message that stays (one
 * in a later day, or, link by link, one of this day that stays).
 */
const keptMessages = (part: string) => `
  WITH RECURSIVE kept (id, cause_id) AS (
    SELECT m.id, m.cause_id FROM ${part} m
    WHERE NOT (${finalMessage('m')})
      OR m.id IN (SELECT c.cause_id FROM messages c WHERE c.cause_id >= $1 AND c.cause_id < $2)
    UNION
    SELECT m.id, m.cause_id FROM ${part} m JOIN kept k ON m.id = k.cause_id)
  INSERT INTO messages SELECT * FROM ${part} WHERE id IN (SELECT id FROM kept)`;

/**
 * Deletes the keys of up to $3 final messages of one day ($1, $2: its first id and the next day's),
 * after the id $4, before the day is dropped: under the drop's table locks only the few keys left
 * are deleted, not a whole day's (a day of 333k messages held the tables 2.8 s that way, 1.1 s this
 * way, measured). A message repeated in between is taken as new, as it would be after the drop; one
 * whose key went and that turns out to be needed when the day is dropped gets its key back.
 */
const forgetFinalKeys = `
  WITH batch AS (
    SELECT row_id FROM message_keys WHERE row_id > $4 AND row_id < $2 ORDER BY row_id LIMIT $3),
  gone AS (
    DELETE FROM message_keys k USING messages m
    WHERE k.row_id IN (SELECT row_id FROM batch) AND m.id = k.row_id AND m.id >= $1 AND m.id < $2
      AND ${finalMessage('m')}
    RETURNING 1)
  SELECT (SELECT MAX(row_id) FROM batch) AS last, (SELECT COUNT(*) FROM gone)::int AS n`;

/**
 * Folds the +1/-1 rows message_counts got from the writes (migration 006) into one row per hour,
 * channel and state, leaving out those that sum to nothing. A row written meanwhile is not in this
 * statement's snapshot: it is neither deleted nor summed, and is folded at the next tick.
 */
const compactMessageCounts = `
  WITH gone AS (DELETE FROM message_counts RETURNING *)
  INSERT INTO message_counts
  SELECT hour, channel, state, SUM(n), SUM(reforwarded), SUM(by_evidence) FROM gone
  GROUP BY hour, channel, state HAVING SUM(n) <> 0 OR SUM(reforwarded) <> 0 OR SUM(by_evidence) <> 0`;

const zero = (): Pruned => ({ messages: 0, journal: 0, orders: 0, webhookDeliveries: 0, idempotencyKeys: 0 });

/**
 * Retention on PostgreSQL. A day whose every row is past the retention is dropped whole (its
 * partition of messages and of journal), after what must stay is moved into the DEFAULT partitions:
 * commands still waiting for the MES, messages not yet confirmed by the broker, a message another
 * kept message was caused by, and an order flagged lost or stuck with its messages and journal (the
 * timeline an operator needs to resolve it). Those, and anything else in the DEFAULT partitions,
 * are pruned row by row in small batches, as orders, webhook deliveries and idempotency keys are.
 * One gateway prunes at a time: the others find the retention lock taken and skip that tick.
 */
export class PgRetentionPruner implements RetentionPort {
  constructor(
    private readonly pool: Pool,
    private readonly commits: PgGroupCommit,
    readonly partitions: PgPartitions,
  ) {}

  /** Makes the partitions of today and the next days (and of any day written into while it had none). */
  createPartitionsAhead(now: number): Promise<PartitionsMade> {
    return this.partitions.createAhead(now);
  }

  /** One batch of row-by-row pruning per table (at most `batch` rows each). */
  step(cutoff: number, batch: number): Promise<Pruned> {
    return this.commits.run({}, async (tx) => {
      const run = async (text: string) => (await tx.query<{ n: number }>(text, [cutoff, batch])).rows[0]!.n;
      return {
        messages: await run(rowStatements.messages),
        journal: await run(rowStatements.journal),
        orders: await run(rowStatements.orders),
        webhookDeliveries: await run(rowStatements.webhookDeliveries),
        idempotencyKeys: await run(rowStatements.idempotencyKeys),
      };
    });
  }

  /**
   * Folds the report's counts kept by the writes, drops every day before the cutoff's, then steps
   * through the rest until no table fills a batch and no message was removed (whose cause may now
   * be free to go), yielding to other work between steps. Returns zeros when another gateway is
   * pruning.
   */
  async pruneOlderThan(cutoff: number, batch = 500): Promise<Pruned> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        retentionLockKey.toString(),
      ]);
      if (!rows[0]!.locked) return zero();
      try {
        await client.query(compactMessageCounts);
        const total = await this.dropDaysBefore(client, cutoff);
        for (;;) {
          const step = await this.step(cutoff, batch);
          for (const key of Object.keys(total) as (keyof Pruned)[]) total[key] += step[key];
          if (step.messages === 0 && Object.values(step).every((n) => n < batch)) return total;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        // A connection that cannot unlock is closed, not pooled: closing it releases the lock.
        await client.query('SELECT pg_advisory_unlock($1)', [retentionLockKey.toString()]).catch((error: Error) => {
          broken = error;
        });
      }
    } finally {
      client.release(broken);
    }
  }

  /** Drops, oldest first, each day partition whose every row is older than `cutoff`. */
  private async dropDaysBefore(client: PoolClient, cutoff: number): Promise<Pruned> {
    const total = zero();
    const partitions = await dayPartitions(client);
    const days = [...new Set([...partitions.messages, ...partitions.journal])]
      .filter((day) => (day + 1) * dayMs <= cutoff)
      .sort((a, b) => a - b);
    for (const day of days) {
      if (partitions.messages.includes(day)) await this.forgetFinalKeys(client, day);
      const dropped = await this.dropDay(day, {
        messages: partitions.messages.includes(day),
        journal: partitions.journal.includes(day),
      });
      total.messages += dropped.messages;
      total.journal += dropped.journal;
    }
    return total;
  }

  /** Deletes the keys of the day's final messages in batches of 5,000, each its own transaction. */
  private async forgetFinalKeys(client: PoolClient, day: number): Promise<void> {
    const [first, end] = [day * rowIdsPerDay, (day + 1) * rowIdsPerDay];
    for (let after = first - 1; ; ) {
      const { rows } = await client.query<{ last: number | null }>(forgetFinalKeys, [first, end, 5000, after]);
      if (rows[0]!.last === null) return;
      after = rows[0]!.last;
    }
  }

  /**
   * Detaches the day's partitions, copies what must stay into the DEFAULT partitions and drops the
   * rest, in one transaction: while it holds the tables, no write can change a row of that day
   * between the choice of what stays and the drop.
   */
  private dropDay(
    day: number,
    has: Record<'messages' | 'journal', boolean>,
  ): Promise<{ messages: number; journal: number }> {
    return this.partitions.locked(async (client) => {
      const dropped = { messages: 0, journal: 0 };
      const count = async (text: string, values: unknown[] = []) =>
        Number((await client.query<{ n: number }>(text, values)).rows[0]!.n);
      if (has.messages) {
        const part = partitionName('messages', day);
        const ids = [day * rowIdsPerDay, (day + 1) * rowIdsPerDay];
        await client.query(`ALTER TABLE messages DETACH PARTITION ${part}`);
        // The day's counts go with it; the rows kept are counted again as they are copied back.
        await client.query('DELETE FROM message_counts WHERE hour >= $1 AND hour < $2', [day * 24, (day + 1) * 24]);
        const kept = (await client.query(keptMessages(part), ids)).rowCount ?? 0;
        dropped.messages = (await count(`SELECT COUNT(*)::bigint AS n FROM ${part}`)) - kept;
        await client.query(
          `DELETE FROM message_keys WHERE row_id >= $1 AND row_id < $2
             AND row_id NOT IN (SELECT id FROM messages_default WHERE id >= $1 AND id < $2)`,
          ids,
        );
        await client.query(
          `INSERT INTO message_keys SELECT channel, message_id, id FROM messages_default WHERE id >= $1 AND id < $2
           ON CONFLICT (channel, message_id) DO NOTHING`,
          ids,
        );
        await client.query(`DROP TABLE ${part}`);
      }
      if (has.journal) {
        const part = partitionName('journal', day);
        await client.query(`ALTER TABLE journal DETACH PARTITION ${part}`);
        const kept = (await client.query(`INSERT INTO journal SELECT * FROM ${part} j WHERE ${ofFlaggedOrder('j')}`))
          .rowCount;
        dropped.journal = (await count(`SELECT COUNT(*)::bigint AS n FROM ${part}`)) - (kept ?? 0);
        await client.query(`DROP TABLE ${part}`);
      }
      return dropped;
    });
  }
}
