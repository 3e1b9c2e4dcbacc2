// Webhook delivery rows as both drivers read them, and the claim's choice among the due ones.
import type { ClaimOptions, DeliveryRecord, DeliveryState, DueDelivery } from './webhook-store.js';

export interface DeliveryRow {
  id: number;
  partner: string;
  endpoint: string;
  event_id: string;
  order_id: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export function toDue(row: DeliveryRow): DueDelivery {
  return {
    id: row.id,
    partner: row.partner,
    endpoint: row.endpoint,
    eventId: row.event_id,
    orderId: row.order_id,
    payload: row.payload,
    attempts: row.attempts,
  };
}

export function toDeliveryRecord(row: DeliveryRow): DeliveryRecord {
  return {
    ...toDue(row),
    state: row.state,
    nextAttemptAt: row.next_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** How many due deliveries to read so that `limit` of them can be chosen around the busy endpoints. */
export function candidatesToScan({ limit, busy }: Pick<ClaimOptions, 'limit' | 'busy'>): number {
  return limit + [...busy.values()].reduce((n, b) => n + b, 0);
}

/**
 * At most `limit` of the candidates (oldest due first), none to an endpoint that would then have
 * more than `perEndpoint` deliveries in flight, counting those already `busy`.
 */
export function choosePerEndpoint(
  candidates: DeliveryRow[],
  { limit, perEndpoint, busy }: Pick<ClaimOptions, 'limit' | 'perEndpoint' | 'busy'>,
): DeliveryRow[] {
  const taken = new Map(busy);
  const chosen: DeliveryRow[] = [];
  for (const row of candidates) {
    if (chosen.length >= limit) break;
    const inFlight = taken.get(row.endpoint) ?? 0;
    if (inFlight >= perEndpoint) continue;
    taken.set(row.endpoint, inFlight + 1);
    chosen.push(row);
  }
  return chosen;
}
