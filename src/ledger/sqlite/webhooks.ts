import type { Database } from 'better-sqlite3';
import type { GroupCommit } from './group-commit.js';
import { notMesCommand } from './statements.js';
import type {
  AttemptRecord,
  ClaimOptions,
  DeliveryRecord,
  DisabledEndpoint,
  DueDelivery,
  NewDelivery,
  WebhookStore,
} from '../webhook-store.js';
import { candidatesToScan, choosePerEndpoint, type DeliveryRow, toDeliveryRecord, toDue } from '../webhook-rows.js';

/** Every SQL statement of the webhook store, prepared once. Table names are constants. */
function prepareWebhookStatements(db: Database) {
  return {
    // A disabled endpoint still gets its row (state disabled): the timeline shows what was not sent and why.
    insertDelivery: db.prepare(`
      INSERT INTO webhook_deliveries (partner, endpoint, event_id, order_id, payload, state, next_attempt_at, last_error, created_at, updated_at)
      SELECT @partner, @endpoint, @eventId, @orderId, @payload,
             CASE WHEN d.endpoint IS NULL THEN 'pending' ELSE 'disabled' END,
             CASE WHEN d.endpoint IS NULL THEN @now ELSE NULL END,
             CASE WHEN d.endpoint IS NULL THEN NULL ELSE 'endpoint disabled: ' || d.reason END,
             @now, @now
      FROM (SELECT 1) LEFT JOIN webhook_endpoints_disabled d ON d.endpoint = @endpoint
      WHERE true
      ON CONFLICT (endpoint, event_id) DO NOTHING`),
    // At most @perEndpoint per endpoint, oldest due first: one dead endpoint with a backlog cannot
    // fill every slot. Uses the partial index on next_attempt_at (state = 'pending').
    dueCandidates: db.prepare(`
      SELECT * FROM (
        SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.endpoint ORDER BY d.next_attempt_at, d.id) AS place
        FROM webhook_deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= @now
          AND d.endpoint NOT IN (SELECT endpoint FROM webhook_endpoints_disabled)
      )
      WHERE place <= @perEndpoint
      ORDER BY next_attempt_at, id
      LIMIT @scan`),
    // The lease: until it runs out no other tick (or replica) takes the delivery.
    claim: db.prepare(
      `UPDATE webhook_deliveries SET next_attempt_at = @leaseUntil, updated_at = @now WHERE id = @id AND state = 'pending' AND next_attempt_at <= @now`,
    ),
    // A pending delivery that meanwhile was disabled stays disabled, unless this attempt delivered it.
    recordAttempt: db.prepare(`
      UPDATE webhook_deliveries
      SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = @status, last_error = @error, updated_at = @now
      WHERE id = @id AND (state = 'pending' OR @state = 'delivered')`),
    disableEndpoint: db.prepare(`
      INSERT INTO webhook_endpoints_disabled (endpoint, partner, disabled_at, reason) VALUES (@endpoint, @partner, @now, @reason)
      ON CONFLICT (endpoint) DO NOTHING`),
    disablePending: db.prepare(`
      UPDATE webhook_deliveries SET state = 'disabled', next_attempt_at = NULL, last_error = @reason, updated_at = @now
      WHERE endpoint = @endpoint AND state = 'pending'`),
    enableEndpoint: db.prepare('DELETE FROM webhook_endpoints_disabled WHERE endpoint = ?'),
    disabledEndpoints: db.prepare(
      'SELECT endpoint, partner, disabled_at AS disabledAt, reason FROM webhook_endpoints_disabled ORDER BY disabled_at',
    ),
    deliveries: db.prepare(`
      SELECT * FROM webhook_deliveries
      WHERE (@orderId IS NULL OR order_id = @orderId) AND (@eventId IS NULL OR event_id = @eventId) AND (@endpoint IS NULL OR endpoint = @endpoint)
      ORDER BY id`),
    // Linked to the order event's message row, so the timeline can tell which event an attempt carried.
    journal: db.prepare(`
      INSERT INTO journal (at, order_id, message_row, kind, detail)
      VALUES (@now, @orderId, (SELECT id FROM messages WHERE channel = 'order.event' AND message_id = @eventId AND ${notMesCommand()}), @kind, @detail)`),
  };
}

/** The webhook store on the SQLite ledger's connection, committing with the ledger's group commit (SqliteLedger.webhooks). */
export class SqliteWebhookStore implements WebhookStore {
  private readonly sql: ReturnType<typeof prepareWebhookStatements>;

  constructor(
    db: Database,
    private readonly commits: Pick<GroupCommit, 'run'>,
  ) {
    this.sql = prepareWebhookStatements(db);
  }

  enqueueNow(deliveries: NewDelivery[], now: number): number {
    let inserted = 0;
    for (const d of deliveries) inserted += this.sql.insertDelivery.run({ ...d, now }).changes;
    return inserted;
  }

  enqueue(deliveries: NewDelivery[], now: number): Promise<number> {
    return this.commits.run(() => this.enqueueNow(deliveries, now));
  }

  claimDue(now: number, { limit, perEndpoint, busy, leaseUntil }: ClaimOptions): Promise<DueDelivery[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.commits.run(() => {
      const candidates = this.sql.dueCandidates.all({
        now,
        perEndpoint,
        scan: candidatesToScan({ limit, busy }),
      }) as DeliveryRow[];
      return choosePerEndpoint(candidates, { limit, perEndpoint, busy })
        .filter((row) => this.sql.claim.run({ id: row.id, now, leaseUntil }).changes === 1)
        .map(toDue);
    });
  }

  recordAttempt(
    { delivery, attempts, state, nextAttemptAt, status, error, journal, disable }: AttemptRecord,
    now: number,
  ): Promise<void> {
    return this.commits.run(() => {
      this.sql.recordAttempt.run({ id: delivery.id, state, attempts, nextAttemptAt, status, error, now });
      this.sql.journal.run({
        now,
        orderId: delivery.orderId,
        eventId: delivery.eventId,
        kind: 'webhook_attempt',
        detail: JSON.stringify(journal),
      });
      if (disable) {
        this.sql.disableEndpoint.run({
          endpoint: delivery.endpoint,
          partner: delivery.partner,
          now,
          reason: disable.reason,
        });
        this.sql.disablePending.run({
          endpoint: delivery.endpoint,
          reason: `endpoint disabled: ${disable.reason}`,
          now,
        });
      }
    });
  }

  async deliveries({
    orderId,
    eventId,
    endpoint,
  }: {
    orderId?: string;
    eventId?: string;
    endpoint?: string;
  }): Promise<DeliveryRecord[]> {
    const rows = this.sql.deliveries.all({
      orderId: orderId ?? null,
      eventId: eventId ?? null,
      endpoint: endpoint ?? null,
    }) as DeliveryRow[];
    return rows.map(toDeliveryRecord);
  }

  async disabledEndpoints(): Promise<DisabledEndpoint[]> {
    return this.sql.disabledEndpoints.all() as DisabledEndpoint[];
  }

  enableEndpoint(endpoint: string): Promise<boolean> {
    return this.commits.run(() => this.sql.enableEndpoint.run(endpoint).changes === 1);
  }
}
