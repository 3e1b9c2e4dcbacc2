import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './transaction.js';

// The day partitions of messages and journal (migrations/postgres/003_time_partitions.sql).

export const dayMs = 86_400_000;
/** A message's id is its UTC day times this, plus a sequence number: the ids of one day are one range. */
export const rowIdsPerDay = 137_438_953_472; // 2^37

/** The day after the last whose ids stay below 2^53 (JS numbers): the year 2149. */
const lastDay = 2 ** 53 / rowIdsPerDay;
/**
 * SQL: the first message id of the UTC day of `ms` (an SQL expression in epoch milliseconds); a
 * time outside the days ids can name is taken as the first or last of them (an open-ended window).
 */
export const firstRowIdOfDay = (ms: string) =>
  `(LEAST(GREATEST((${ms})::bigint, 0), ${lastDay * dayMs}) / ${dayMs} * ${rowIdsPerDay})`;
/** SQL: the ids of the messages created in [from, to) (epoch-ms SQL expressions): lets PostgreSQL read only those days' partitions. */
export const rowIdsWithin = (column: string, from: string, to: string) =>
  `${column} >= ${firstRowIdOfDay(from)} AND ${column} < ${firstRowIdOfDay(`(${to})::bigint - 1`)} + ${rowIdsPerDay}`;
/** SQL: `column` holds an id of the same UTC day as the message id `id` (an SQL expression). */
export const rowIdsOfDayOf = (column: string, id: string) =>
  `${column} >= (${id})::bigint / ${rowIdsPerDay} * ${rowIdsPerDay} AND ${column} < ((${id})::bigint / ${rowIdsPerDay} + 1) * ${rowIdsPerDay}`;

export const partitionedTables = ['messages', 'journal'] as const;
export type PartitionedTable = (typeof partitionedTables)[number];

/** The advisory lock under which partitions are made and dropped: one gateway at a time. */
export const partitionLockKey = 0x6f62706172747321n; // 'obparts!'

/**
 * How long a partition change waits for its table lock before it gives up until the next tick:
 * while it waits, the pipeline's writes queue behind it, so this is as long as they may stall.
 */
export const partitionLockTimeout = '1s';

/** The name of `table`'s partition for UTC day `day` (days since 1970), as ledger_day_partition() names it. */
export function partitionName(table: PartitionedTable, day: number): string {
  return `${table}_p${new Date(day * dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

const partitionNamePattern = /^(messages|journal)_p(\d{4})(\d{2})(\d{2})$/;

/** The UTC day of each day partition of each table. */
export async function dayPartitions(client: Pick<PoolClient, 'query'>): Promise<Record<PartitionedTable, number[]>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN ('messages'::regclass, 'journal'::regclass)`,
  );
  const days: Record<PartitionedTable, number[]> = { messages: [], journal: [] };
  for (const { name } of rows) {
    const match = partitionNamePattern.exec(name);
    if (match) days[match[1] as PartitionedTable].push(Date.UTC(+match[2]!, +match[3]! - 1, +match[4]!) / dayMs);
  }
  for (const table of partitionedTables) days[table].sort((a, b) => a - b);
  return days;
}

/** What one round of making partitions did. */
export interface PartitionsMade {
  /** Partitions made, by name. */
  created: string[];
  /** Rows moved out of a DEFAULT partition into a partition made for their day (written while it was missing). */
  moved: number;
}

/**
 * Makes the day partitions the gateway writes into ahead of time. Several gateways may do it at
 * once: each takes the partition lock, and finds made what another made before it.
 */
export class PgPartitions {
  constructor(
    private readonly pool: Pool,
    /** Days after today made ahead: a gateway whose tick fails keeps writing into made partitions that long. */
    readonly daysAhead = 2,
  ) {}

  /**
   * Today's partitions and the next `daysAhead` days', and the partition of any day after the
   * oldest partition that rows in a DEFAULT partition belong to (written while their day had none).
   */
  async createAhead(now: number): Promise<PartitionsMade> {
    const today = Math.floor(now / dayMs);
    const days = Array.from({ length: this.daysAhead + 1 }, (_, i) => today + i);
    return this.make(days, true);
  }

  /** The partitions of every day from `from` to `to` (epoch ms), both included. */
  ensureDays(from: number, to: number): Promise<PartitionsMade> {
    const days: number[] = [];
    for (let day = Math.floor(from / dayMs); day <= Math.floor(to / dayMs); day++) days.push(day);
    return this.make(days, false);
  }

  private async make(days: number[], withStrays: boolean): Promise<PartitionsMade> {
    return this.locked(async (client) => {
      const made: PartitionsMade = { created: [], moved: 0 };
      for (const table of partitionedTables) {
        const wanted = new Set(days);
        if (withStrays) for (const day of await this.strayDays(client, table)) wanted.add(day);
        for (const day of [...wanted].sort((a, b) => a - b)) {
          const { rows } = await client.query<{ moved: number }>('SELECT ledger_day_partition($1, $2) AS moved', [
            table,
            day,
          ]);
          const moved = rows[0]!.moved;
          if (moved < 0) continue;
          made.created.push(partitionName(table, day));
          made.moved += moved;
        }
      }
      return made;
    });
  }

  /**
   * The days of rows in `table`'s DEFAULT partition that are not older than its oldest day
   * partition: written while their day had no partition. Older rows are what retention kept there.
   */
  private async strayDays(client: PoolClient, table: PartitionedTable): Promise<number[]> {
    const oldest = (await dayPartitions(client))[table][0];
    if (oldest === undefined) return [];
    const day = table === 'messages' ? `id / ${rowIdsPerDay}` : `at / ${dayMs}`;
    const from = table === 'messages' ? oldest * rowIdsPerDay : oldest * dayMs;
    const { rows } = await client.query<{ day: number }>(
      `SELECT DISTINCT ${day} AS day FROM ${table}_default WHERE ${table === 'messages' ? 'id' : 'at'} >= $1`,
      [from],
    );
    return rows.map((row) => Number(row.day));
  }

  /** Runs `work` in one transaction holding the partition lock (waiting at most partitionLockTimeout for any table lock). */
  locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, 'BEGIN', async (client) => {
      // Another gateway making or dropping partitions holds the lock no longer than its own
      // lock_timeout per statement: this one waits for it unbounded, and only then bounds its own.
      await client.query('SELECT pg_advisory_xact_lock($1)', [partitionLockKey.toString()]);
      await client.query(`SET LOCAL lock_timeout = '${partitionLockTimeout}'`);
      return work(client);
    });
  }
}
