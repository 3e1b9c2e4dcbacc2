// The webhook deliveries port: what the dispatcher needs of the ledger, whatever its driver.
import type { OrderEvent } from '../contracts/generated/external/order-event.js';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'disabled';

/** A delivery to create: one event for one endpoint. */
export interface NewDelivery {
  partner: string;
  endpoint: string;
  eventId: string;
  orderId: string;
  /** The exact bytes every attempt sends (and signs). */
  payload: string;
}

export interface DueDelivery extends NewDelivery {
  id: number;
  /** Attempts made before this one. */
  attempts: number;
}

export interface DeliveryRecord extends DueDelivery {
  state: DeliveryState;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The result of one attempt, decided by the dispatcher; the store only writes it down. */
export interface AttemptRecord {
  delivery: DueDelivery;
  /** This attempt's number (1 for the first). */
  attempts: number;
  state: DeliveryState;
  nextAttemptAt: number | null;
  status: number | null;
  error: string | null;
  /** The journal row's detail: what the order timeline shows. */
  journal: Record<string, unknown>;
  /** Set when the answer disables the endpoint (410 Gone). */
  disable?: { reason: string };
}

export interface ClaimOptions {
  /** Deliveries to claim at most. */
  limit: number;
  /** Attempts in flight to one endpoint at most, counting `busy`. */
  perEndpoint: number;
  /** Attempts already in flight, by endpoint. */
  busy: ReadonlyMap<string, number>;
  /** A claimed delivery is due again at this time if its attempt is never recorded (a crash). */
  leaseUntil: number;
}

export interface DisabledEndpoint {
  endpoint: string;
  partner: string;
  disabledAt: number;
  reason: string;
}

/**
 * Webhook deliveries in the ledger; every method runs in the ledger's group commit. The deliveries of
 * an order event are queued by the ledger itself, in the transaction that queues the event, so an
 * event and its deliveries are committed together or not at all.
 */
export interface WebhookStore {
  enqueue(deliveries: NewDelivery[], now: number): Promise<number>;
  claimDue(now: number, options: ClaimOptions): Promise<DueDelivery[]>;
  recordAttempt(attempt: AttemptRecord, now: number): Promise<void>;
  deliveries(filter: { orderId?: string; eventId?: string; endpoint?: string }): Promise<DeliveryRecord[]>;
  disabledEndpoints(): Promise<DisabledEndpoint[]>;
  /** An operator's decision: new events go to the endpoint again; deliveries disabled meanwhile stay so. */
  enableEndpoint(endpoint: string): Promise<boolean>;
}

/** The deliveries an order event makes (partner webhooks); none when no partner subscribed. */
export type OrderEventDeliveries = (partner: string, event: OrderEvent) => NewDelivery[];
