import type { Config } from '../config/index.js';
import type { OpsLedger } from '../ledger/index.js';
import {
  applyStatus,
  initialOrderState,
  type Acknowledgement,
  type OrderState,
  type OrderStatus,
} from '../mapping/index.js';
import { dialectRunner, type ChangeOutcome } from './dialect-outcome.js';
import { decodeJson } from './message-input.js';
import { getOrCreate } from '../shared/get-or-create.js';

type Dialect = Pick<Config, 'dialect' | 'dialectSchemas'>;

/** What one dialect makes of an order's MES messages: the external status it ends in, its first answer, its quarantined states. */
export interface OrderOutcome {
  status?: OrderStatus;
  ack?: Acknowledgement;
  quarantined: string[];
  /** Messages of the order this dialect could not read (schema or paths). */
  unreadable: number;
}

export interface WhatIfResult {
  messages: number;
  orders: number;
  /** Messages neither dialect could attribute to an order (unreadable by both). */
  unattributed: number;
  differences: { orderId: string; current: OrderOutcome; candidate: OrderOutcome }[];
}

/**
 * Runs the configured dialect and a changed one over the MES messages the ledger kept, in the order
 * they arrived, each under the external status model, and lists the orders whose final status,
 * first acknowledgement or quarantined states would differ: what a change would do, before it is
 * deployed. Orders are told apart by the order id either dialect reads.
 */
export async function whatIf(
  ledger: Pick<OpsLedger, 'mesEventBodies'>,
  current: Dialect,
  candidate: Dialect,
  window: { from: number; to: number; limit: number },
): Promise<WhatIfResult> {
  const kept = await ledger.mesEventBodies(window.from, window.to, window.limit);
  const runs = [current, candidate].map((dialect) => ({
    run: dialectRunner(dialect),
    outcomes: new Map<string, Outcome>(),
  }));
  let unattributed = 0;
  for (const { body } of kept) {
    const decoded = decodeJson(Buffer.from(body, 'utf8'), { maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: 256 });
    const reads = runs.map(({ run }) =>
      decoded.ok ? run.event(decoded.value) : { ok: false as const, error: decoded.error },
    );
    const orderIds = [...new Set(reads.flatMap((read) => (read.ok ? read.changes.map((c) => c.fields.orderId) : [])))];
    if (!orderIds.length) unattributed++;
    runs.forEach((run, i) => {
      const read = reads[i]!;
      if (read.ok) for (const change of read.changes) apply(run.outcomes, change);
      else for (const orderId of orderIds) outcomeOf(run.outcomes, orderId).unreadable++;
    });
  }
  const [before, after] = runs.map((run) => run.outcomes);
  const orderIds = [...new Set([...before!.keys(), ...after!.keys()])].sort();
  const differences = orderIds
    .map((orderId) => ({
      orderId,
      current: publicOutcome(before!.get(orderId)),
      candidate: publicOutcome(after!.get(orderId)),
    }))
    .filter(({ current, candidate }) => JSON.stringify(current) !== JSON.stringify(candidate));
  return { messages: kept.length, orders: orderIds.length, unattributed, differences };
}

interface Outcome extends OrderOutcome {
  state?: OrderState;
}

function outcomeOf(outcomes: Map<string, Outcome>, orderId: string): Outcome {
  return getOrCreate(outcomes, orderId, () => ({ quarantined: [], unreadable: 0 }));
}

function apply(outcomes: Map<string, Outcome>, { fields, status, ack, quarantine }: ChangeOutcome): void {
  const outcome = outcomeOf(outcomes, fields.orderId);
  if (quarantine !== undefined) {
    outcome.quarantined.push(fields.state);
    return;
  }
  // The first word of the MES answers the create: its ack, or acceptance by evidence.
  outcome.ack ??= ack ?? (status !== undefined && status !== 'rejected' ? 'accepted' : undefined);
  if (status === undefined) return;
  // Every order starts received (by the CRM's create), as in the ledger.
  outcome.state ??= initialOrderState({ status: 'received', source: 'crm', occurredAt: new Date(0).toISOString() });
  outcome.state = applyStatus(outcome.state, { status, source: 'mes', occurredAt: fields.occurredAt }).state;
  outcome.status = outcome.state.status;
}

function publicOutcome(outcome: Outcome | undefined): OrderOutcome {
  if (!outcome) return { quarantined: [], unreadable: 0 };
  const { state: _state, ...visible } = outcome;
  return visible;
}
