import type { FaultPlan } from './fault-plan.js';
import { workCenters, workListStates, type MesState, type WalkProgress } from './workflow.js';

export interface HistoryEntry {
  state: MesState;
  at: string;
}

export interface MesOrder {
  readonly externalRef: string;
  readonly mesOrderNo: string;
  readonly plan: FaultPlan;
  progress: WalkProgress;
  history: HistoryEntry[];
  updatedAt: string;
  /** When the production loop moves the order next; undefined while it does not move on its own. */
  nextStepAt?: number;
}

/** The MES's in-memory order table, with the indexes the API and the production loop need. */
export class OrderBook {
  private readonly byRef = new Map<string, MesOrder>();
  private readonly byNo = new Map<string, MesOrder>();
  /** Orders the production loop still moves; it scans only these. */
  private readonly walking = new Set<MesOrder>();
  private sequence = 0;

  create(externalRef: string, plan: FaultPlan, state: MesState, at: string): MesOrder {
    this.sequence += 1;
    const order: MesOrder = {
      externalRef,
      mesOrderNo: `M-${String(this.sequence).padStart(6, '0')}`,
      plan,
      progress: { state, qcFailedOnce: false, errored: false },
      history: [{ state, at }],
      updatedAt: at,
    };
    this.byRef.set(externalRef, order);
    this.byNo.set(order.mesOrderNo, order);
    return order;
  }

  findByRef(externalRef: string): MesOrder | undefined {
    return this.byRef.get(externalRef);
  }

  findByNo(mesOrderNo: string): MesOrder | undefined {
    return this.byNo.get(mesOrderNo);
  }

  record(order: MesOrder, progress: WalkProgress, at: string): void {
    order.progress = progress;
    order.history.push({ state: progress.state, at });
    order.updatedAt = at;
  }

  scheduleStep(order: MesOrder, at: number): void {
    order.nextStepAt = at;
    this.walking.add(order);
  }

  stopWalking(order: MesOrder): void {
    order.nextStepAt = undefined;
    this.walking.delete(order);
  }

  *dueOrders(now: number): Iterable<MesOrder> {
    for (const order of this.walking) if (order.nextStepAt !== undefined && order.nextStepAt <= now) yield order;
  }

  get size(): number {
    return this.byRef.size;
  }

  countByState(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const order of this.byRef.values()) counts[order.progress.state] = (counts[order.progress.state] ?? 0) + 1;
    return counts;
  }

  stateByRef(): Record<string, string> {
    return Object.fromEntries([...this.byRef.values()].map((order) => [order.externalRef, order.progress.state]));
  }

  /** Orders on the shop floor, the longest-waiting first, as an operator screen lists them. */
  workList(limit: number): { total: number; orders: WorkListItem[] } {
    const onFloor = [...this.byRef.values()].filter((order) => workListStates.has(order.progress.state));
    onFloor.sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : 0));
    return { total: onFloor.length, orders: onFloor.slice(0, limit).map(toWorkListItem) };
  }
}

export interface WorkListItem {
  mesOrderNo: string;
  externalRef: string;
  state: MesState;
  workCenter?: string;
  since: string;
}

function toWorkListItem(order: MesOrder): WorkListItem {
  const workCenter = workCenters[order.progress.state];
  return {
    mesOrderNo: order.mesOrderNo,
    externalRef: order.externalRef,
    state: order.progress.state,
    ...(workCenter ? { workCenter } : {}),
    since: order.updatedAt,
  };
}

/** The order resource of GET /orders. */
export function orderResource(order: MesOrder) {
  return {
    mesOrderNo: order.mesOrderNo,
    externalRef: order.externalRef,
    state: order.progress.state,
    history: order.history,
    updatedAt: order.updatedAt,
  };
}
