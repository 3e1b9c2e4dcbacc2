import type pg from 'pg';

/** The channel every gateway on one database notifies its order changes on, and listens to. */
export const changeChannel = 'orderbridge_order_changes';

// One statement however many payloads: sent with the COMMIT, it costs no round trip of its own.
export const notifyChanges = `SELECT pg_notify('${changeChannel}', payload) FROM unnest($1::text[]) AS payload`;

// PostgreSQL refuses a payload of 8000 bytes or more; order ids are at most 64 characters.
const maxPayloadBytes = 7000;

/** The changed order ids as JSON arrays, each small enough for one notification. */
export function changePayloads(orderIds: Iterable<string>): string[] {
  const payloads: string[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const id of orderIds) {
    const size = Buffer.byteLength(id) + 4;
    if (chunk.length && bytes + size > maxPayloadBytes) {
      payloads.push(JSON.stringify(chunk));
      chunk = [];
      bytes = 0;
    }
    chunk.push(id);
    bytes += size;
  }
  if (chunk.length) payloads.push(JSON.stringify(chunk));
  return payloads;
}

export interface ChangeFeedHooks {
  /** An order some gateway changed (this one's own commits come back too). */
  changed(orderId: string): void;
  /** The feed went down or came back: changes made meanwhile were not heard. */
  missed(): void;
}

export interface ChangeFeedTiming {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A query on the listening connection this often: a connection that broke silently is noticed. */
  heartbeatMs: number;
}

const defaultTiming: ChangeFeedTiming = { initialDelayMs: 100, maxDelayMs: 5000, heartbeatMs: 5000 };

/**
 * LISTENs on a dedicated connection for the order changes every gateway on the database commits
 * (they notify in the committing transaction, so only committed changes are heard), and reconnects
 * with jittered, doubling delays when that connection is lost.
 */
export class PgChangeFeed {
  /** True while the connection listens: every committed change is heard. */
  live = false;
  private client: pg.Client | undefined;
  private delayMs: number;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly newClient: () => pg.Client,
    private readonly hooks: ChangeFeedHooks,
    private readonly timing: ChangeFeedTiming = defaultTiming,
  ) {
    this.delayMs = timing.initialDelayMs;
  }

  /** Resolves once listening, or once the first try failed (it then keeps trying in the background). */
  async start(): Promise<void> {
    await this.listen();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = this.newClient();
    client.on('notification', (message) => {
      if (message.channel !== changeChannel || !message.payload) return;
      for (const orderId of JSON.parse(message.payload) as string[]) this.hooks.changed(orderId);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${changeChannel}`);
    } catch {
      await client.end().catch(() => undefined);
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return void client.end().catch(() => undefined);
    this.client = client;
    this.live = true;
    this.delayMs = this.timing.initialDelayMs;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch(() => this.lost(client));
    }, this.timing.heartbeatMs).unref();
    // Whatever was committed while nobody listened was not heard.
    this.hooks.missed();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    this.hooks.missed();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = this.delayMs * (0.5 + Math.random());
    this.delayMs = Math.min(this.delayMs * 2, this.timing.maxDelayMs);
    this.retry = setTimeout(() => void this.listen(), delay).unref();
  }
}
