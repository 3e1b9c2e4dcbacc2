import type {
  AttemptRecord,
  ClaimOptions,
  DeliveryRecord,
  DisabledEndpoint,
  DueDelivery,
  NewDelivery,
  WebhookStore,
} from '../webhook-store.js';
import type { PgGroupCommit, Tx } from './group-commit.js';
import { candidatesToScan, choosePerEndpoint, type DeliveryRow, toDeliveryRecord, toDue } from '../webhook-rows.js';
import { prepared } from './prepared.js';

/** Every SQL statement of the webhook store; the same rules as src/ledger/sqlite/webhooks.ts. */
const sql = prepared({
  // A disabled endpoint still gets its row (state disabled): the timeline shows what was not sent and why.
  // All deliveries of one order event in one statement. $1 now, then arrays of partner, endpoint, event, order, payload.
  insertDeliveries: `
    INSERT INTO webhook_deliveries (partner, endpoint, event_id, order_id, payload, state, next_attempt_at, last_error, created_at, updated_at)
    SELECT n.partner, n.endpoint, n.event_id, n.order_id, n.payload,
           CASE WHEN d.endpoint IS NULL THEN 'pending' ELSE 'disabled' END,
           CASE WHEN d.endpoint IS NULL THEN $1::bigint ELSE NULL END,
           CASE WHEN d.endpoint IS NULL THEN NULL ELSE 'endpoint disabled: ' || d.reason END,
           $1, $1
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS n (partner, endpoint, event_id, order_id, payload)
    LEFT JOIN webhook_endpoints_disabled d ON d.endpoint = n.endpoint
    ON CONFLICT (endpoint, event_id) DO NOTHING`,
  // At most $2 per endpoint, oldest due first: one dead endpoint with a backlog cannot fill every
  // slot. Uses the partial index on next_attempt_at (state = 'pending'). $1 now, $3 rows to scan.
  // SKIP LOCKED: rows another gateway is claiming right now are passed over, not waited for; the
  // rows returned stay locked until this claim commits, so no two claims take the same delivery.
  dueCandidates: `
    WITH due AS (
      SELECT id, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY endpoint ORDER BY next_attempt_at, id) AS place
      FROM webhook_deliveries
      WHERE state = 'pending' AND next_attempt_at <= $1
        AND endpoint NOT IN (SELECT endpoint FROM webhook_endpoints_disabled)
    )
    SELECT d.* FROM webhook_deliveries d JOIN due ON due.id = d.id
    WHERE due.place <= $2
    ORDER BY due.next_attempt_at, due.id
    LIMIT $3
    FOR UPDATE OF d SKIP LOCKED`,
  // The lease: until it runs out no other tick (or replica) takes the delivery. $1 ids, $2 now, $3 lease until.
  claim: `
    UPDATE webhook_deliveries SET next_attempt_at = $3, updated_at = $2
    WHERE id = ANY($1::bigint[]) AND state = 'pending' AND next_attempt_at <= $2
    RETURNING id`,
  // A pending delivery that meanwhile was disabled stays disabled, unless this attempt delivered it.
  recordAttempt: `
    UPDATE webhook_deliveries
    SET state = $2, attempts = $3, next_attempt_at = $4, last_status = $5, last_error = $6, updated_at = $7
    WHERE id = $1 AND (state = 'pending' OR $2 = 'delivered')`,
  disableEndpoint: `
    INSERT INTO webhook_endpoints_disabled (endpoint, partner, disabled_at, reason) VALUES ($1, $2, $3, $4)
    ON CONFLICT (endpoint) DO NOTHING`,
  disablePending: `
    UPDATE webhook_deliveries SET state = 'disabled', next_attempt_at = NULL, last_error = $2, updated_at = $3
    WHERE endpoint = $1 AND state = 'pending'`,
  enableEndpoint: 'DELETE FROM webhook_endpoints_disabled WHERE endpoint = $1',
  disabledEndpoints: `SELECT endpoint, partner, disabled_at AS "disabledAt", reason FROM webhook_endpoints_disabled ORDER BY disabled_at`,
  deliveries: `
    SELECT * FROM webhook_deliveries
    WHERE ($1::text IS NULL OR order_id = $1) AND ($2::text IS NULL OR event_id = $2) AND ($3::text IS NULL OR endpoint = $3)
    ORDER BY id`,
  // Linked to the order event's message row, so the timeline can tell which event an attempt carried.
  journal: `
    INSERT INTO journal (at, order_id, message_row, kind, detail)
    VALUES ($1, $2, (SELECT row_id FROM message_keys WHERE channel = 'order.event' AND message_id = $3), $4, $5)`,
} as const);

/** Queues deliveries in the unit's transaction (the one that queues their order event). */
export function insertDeliveries(tx: Tx, deliveries: NewDelivery[], now: number): void {
  tx.send(sql.insertDeliveries, [
    now,
    deliveries.map((d) => d.partner),
    deliveries.map((d) => d.endpoint),
    deliveries.map((d) => d.eventId),
    deliveries.map((d) => d.orderId),
    deliveries.map((d) => d.payload),
  ]);
}

/** The webhook store on the PostgreSQL ledger, committing with the ledger's group commit (PostgresLedger.webhooks). */
export class PgWebhookStore implements WebhookStore {
  constructor(
    private readonly commits: PgGroupCommit,
    private readonly rows: <R extends object>(text: string, values: unknown[]) => Promise<R[]>,
  ) {}

  enqueue(deliveries: NewDelivery[], now: number): Promise<number> {
    if (!deliveries.length) return Promise.resolve(0);
    return this.commits.run({ orders: deliveries.map((d) => d.orderId) }, async (tx) => {
      const { rowCount } = await tx.query(sql.insertDeliveries, [
        now,
        deliveries.map((d) => d.partner),
        deliveries.map((d) => d.endpoint),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.orderId),
        deliveries.map((d) => d.payload),
      ]);
      return rowCount ?? 0;
    });
  }

  claimDue(now: number, { limit, perEndpoint, busy, leaseUntil }: ClaimOptions): Promise<DueDelivery[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.commits.run({}, async (tx) => {
      const candidates = (
        await tx.query<DeliveryRow>(sql.dueCandidates, [now, perEndpoint, candidatesToScan({ limit, busy })])
      ).rows;
      const chosen = choosePerEndpoint(candidates, { limit, perEndpoint, busy });
      if (!chosen.length) return [];
      const claimed = new Set(
        (await tx.query<{ id: number }>(sql.claim, [chosen.map((row) => row.id), now, leaseUntil])).rows.map(
          (r) => r.id,
        ),
      );
      return chosen.filter((row) => claimed.has(row.id)).map(toDue);
    });
  }

  recordAttempt(
    { delivery, attempts, state, nextAttemptAt, status, error, journal, disable }: AttemptRecord,
    now: number,
  ): Promise<void> {
    return this.commits.run({ orders: [delivery.orderId] }, async (tx) => {
      tx.send(sql.recordAttempt, [delivery.id, state, attempts, nextAttemptAt, status, error, now]);
      tx.send(sql.journal, [now, delivery.orderId, delivery.eventId, 'webhook_attempt', JSON.stringify(journal)]);
      if (disable) {
        tx.send(sql.disableEndpoint, [delivery.endpoint, delivery.partner, now, disable.reason]);
        tx.send(sql.disablePending, [delivery.endpoint, `endpoint disabled: ${disable.reason}`, now]);
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
    const rows = await this.rows<DeliveryRow>(sql.deliveries, [orderId ?? null, eventId ?? null, endpoint ?? null]);
    return rows.map(toDeliveryRecord);
  }

  async disabledEndpoints(): Promise<DisabledEndpoint[]> {
    return this.rows<DisabledEndpoint>(sql.disabledEndpoints, []);
  }

  enableEndpoint(endpoint: string): Promise<boolean> {
    return this.commits.run({}, async (tx) => (await tx.query(sql.enableEndpoint, [endpoint])).rowCount === 1);
  }
}
