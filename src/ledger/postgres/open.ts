import pg from 'pg';
import { LedgerNotFoundError } from '../ledger-errors.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import type { LedgerPolicy } from '../store.js';
import type { ChangeFeedTiming } from './change-feed.js';
import { PostgresLedger } from './ledger.js';
import { migratePostgres } from './migrate.js';

export interface PostgresLedgerOptions {
  url: string;
  policy: LedgerPolicy;
  /** Open only a ledger that is already there (the ops commands): never create its tables. */
  mustExist?: boolean;
  /** Read only: every transaction of every connection is read-only (the ops commands that only read). */
  readOnly?: boolean;
  /** Told how long each group commit took, and whether it failed (metrics). */
  onCommit?: (seconds: number, ok: boolean) => void;
  /** What each order event must also be delivered as (partner webhooks): queued in the same transaction. */
  orderEventDeliveries?: OrderEventDeliveries;
  /** Connections at most (the group commit's writer and the reads beside it). */
  maxConnections?: number;
  /** How the connection that hears other gateways' changes reconnects and checks itself. */
  changeFeedTiming?: ChangeFeedTiming;
}

/** The URL with its password replaced, for messages and logs. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(an unparseable URL)';
  }
}

/** PostgreSQL did not answer, or refused the gateway, when the ledger was opened. */
export class PostgresUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const why = `${cause instanceof Error ? cause.message : String(cause)}${typeof code === 'string' ? ` (${code})` : ''}`;
    super(
      `cannot open the PostgreSQL ledger at ${maskedUrl(url)}: ${why}. Check ledger.url in gateway.yaml or DATABASE_URL, that PostgreSQL runs and listens there (pg_isready -d URL), that the user and password are right and the database exists (createdb), or set ledger.driver: sqlite for the embedded ledger`,
      // Node's invalid-URL error carries the whole input, password and all: not kept.
      code === 'ERR_INVALID_URL' ? {} : { cause },
    );
    this.name = 'PostgresUnreachableError';
  }
}

/** The database at the URL holds no Orderbridge ledger (the ops commands never create one). */
export class PostgresLedgerNotFoundError extends LedgerNotFoundError {
  constructor(url: string) {
    super(maskedUrl(url), 'nothing');
    this.message = `no Orderbridge ledger in the PostgreSQL database ${maskedUrl(url)}: check ledger.url in gateway.yaml or DATABASE_URL; the gateway creates its tables when it first starts (orderbridge serve)`;
    this.name = 'PostgresLedgerNotFoundError';
  }
}

// int8 (ids, epoch milliseconds, counts) as a JS number: every value the ledger keeps is far below 2^53.
const int8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Opens the ledger in the PostgreSQL database at `url`: checks that it answers (a clear
 * PostgresUnreachableError otherwise), applies the migrations it lacks, under an advisory lock, and
 * makes the day partitions of today and the next days.
 */
export async function openPostgresLedger({
  url,
  policy,
  mustExist = false,
  readOnly = false,
  onCommit,
  orderEventDeliveries,
  maxConnections = 8,
  changeFeedTiming,
}: PostgresLedgerOptions): Promise<PostgresLedger> {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: 5000,
    // Several statements of a unit go out together on the group commit's connection (bench/RESULTS.md).
    pipeline: true,
    types,
    application_name: 'orderbridge',
    // A unit settles (and the broker is acked) once COMMIT returns: that must mean durable, whatever
    // the server's or the database's default says. No JIT: only the report's scans cost enough to
    // trigger it, and compiling them (in every parallel worker) took longer than it saved (bench/RESULTS.md).
    options: `-c synchronous_commit=on -c jit=off${readOnly ? ' -c default_transaction_read_only=on' : ''}`,
  });
  // An idle connection that breaks (PostgreSQL restarted) is dropped from the pool; the next query
  // opens another or fails, and that failure is what callers see.
  pool.on('error', () => undefined);
  // A connection that breaks while checked out (the group commit's, inside a transaction) emits
  // 'error' on its client, which the pool listens to only while the client is idle: unheard, that
  // error ends the process. Its queries fail with it, and that failure is what callers see.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    // A URL pg cannot parse throws at once, not through the promise.
    const client = await Promise.resolve()
      .then(() => pool.connect())
      .catch((error: unknown) => {
        throw new PostgresUnreachableError(url, error);
      });
    try {
      if (mustExist) {
        const { rows } = await client.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS found`);
        if (!rows[0]?.found) throw new PostgresLedgerNotFoundError(url);
      } else await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const ledger = new PostgresLedger(pool, policy, {
    ...(onCommit ? { onCommit } : {}),
    ...(orderEventDeliveries ? { orderEventDeliveries } : {}),
    // The ops commands keep no cache: only a gateway listens for the other gateways' changes.
    ...(mustExist ? {} : { listenClient: () => listenClient(url) }),
    ...(changeFeedTiming ? { changeFeedTiming } : {}),
  });
  if (!mustExist) {
    // Today's partitions and the next days', before the first write; the gateway's retention tick
    // keeps making them ahead (a write for a day without one lands in the DEFAULT partition).
    await ledger.retention.createPartitionsAhead(Date.now()).catch(async (error: unknown) => {
      await pool.end().catch(() => undefined);
      throw error;
    });
  }
  await ledger.changeFeed?.start();
  return ledger;
}

/** The connection that LISTENs for order changes: its own, never the pool's (a pooled one goes back to others). */
function listenClient(url: string): pg.Client {
  // query_timeout bounds the feed's heartbeat on a connection that broke without a word.
  return new pg.Client({
    connectionString: url,
    application_name: 'orderbridge changes',
    connectionTimeoutMillis: 5000,
    query_timeout: 5000,
    keepAlive: true,
  });
}
