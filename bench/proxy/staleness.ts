// When each MES order changed (heard on the MES's own event exchange), and how stale answers were.
import type { ChannelModel } from 'amqplib';
import type { MesEvent } from '../../sim/generated/mes/reference/event.js';
import type { DialectConfig } from '../../src/contracts/generated/config/dialect.js';
import {
  applyStatus,
  initialOrderState,
  readMesEvent,
  translate,
  type OrderState,
  type OrderStatus,
} from '../../src/mapping/index.js';
import { percentile } from '../shared/figures.js';
import type { Read } from './load.js';

/**
 * Listens to every MES event on its own exclusive queue. An event's createdAt is the instant the
 * MES changed the order (the simulator stamps the change and the event together, strictly
 * increasing per order), and the MES API's updatedAt is the createdAt of the order's last event.
 */
export class ChangeLog {
  private readonly changes = new Map<string, number[]>();
  /** Per order, each MES event's instant and the external status it maps to (if any). */
  private readonly statusFacts = new Map<string, { at: number; status?: OrderStatus }[]>();
  private timelines?: Map<string, { at: number; status: OrderStatus }[]>;
  events = 0;

  private constructor(private readonly dialect: DialectConfig) {}

  static async listen(connection: ChannelModel, exchange: string, dialect: DialectConfig): Promise<ChangeLog> {
    const log = new ChangeLog(dialect);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const event = JSON.parse(message.content.toString('utf8')) as MesEvent;
        log.record(event.order.externalRef, Date.parse(event.header.createdAt));
        log.recordStatus(event);
      },
      { noAck: true },
    );
    return log;
  }

  private record(ref: string, at: number): void {
    this.events += 1;
    const times = this.changes.get(ref);
    if (!times) this.changes.set(ref, [at]);
    else {
      times.push(at);
      // Published in order per order; sort only if the broker ever delivered otherwise.
      if (times.length > 1 && times.at(-2)! > at) times.sort((a, b) => a - b);
    }
  }

  private recordStatus(event: MesEvent): void {
    const read = readMesEvent(event, this.dialect.events);
    if (!read.ok) return;
    const translation = translate(read.fields, this.dialect.states);
    const fact = {
      at: Date.parse(event.header.createdAt),
      ...(translation.kind === 'translated' && translation.status ? { status: translation.status } : {}),
    };
    const facts = this.statusFacts.get(event.order.externalRef);
    if (facts) facts.push(fact);
    else this.statusFacts.set(event.order.externalRef, [fact]);
    this.timelines = undefined;
  }

  /**
   * The external status each order had at each instant, as the gateway's own rules derive it from
   * the MES events in the MES's order (applyStatus: duplicates, late and forbidden moves ignored),
   * starting from 'received' before the first event.
   */
  private statusTimeline(ref: string): { at: number; status: OrderStatus }[] {
    this.timelines ??= new Map();
    let timeline = this.timelines.get(ref);
    if (timeline) return timeline;
    timeline = [{ at: 0, status: 'received' }];
    let state: OrderState = initialOrderState({
      status: 'received',
      source: 'crm',
      occurredAt: new Date(0).toISOString(),
    });
    for (const fact of [...(this.statusFacts.get(ref) ?? [])].sort((a, b) => a.at - b.at)) {
      if (!fact.status) continue;
      const outcome = applyStatus(state, {
        status: fact.status,
        source: 'mes',
        occurredAt: new Date(fact.at).toISOString(),
      });
      if (outcome.kind !== 'applied') continue;
      state = outcome.state;
      timeline.push({ at: fact.at, status: fact.status });
    }
    this.timelines.set(ref, timeline);
    return timeline;
  }

  /**
   * For an answer of the gateway's read model showing `status`: when the MES replaced the version
   * shown (the next status change after the last time the order entered `status` before `sentAt`);
   * undefined while it is current; null if the order never had that status before `sentAt`.
   */
  statusSupersededAt(ref: string, status: string, sentAt: number): number | undefined | null {
    const timeline = this.statusTimeline(ref);
    let shown = -1;
    for (let i = 0; i < timeline.length && timeline[i]!.at <= sentAt; i++)
      if (timeline[i]!.status === status) shown = i;
    if (shown < 0) return null;
    return timeline[shown + 1]?.at;
  }

  /** Orders the MES has announced at least once. */
  get orders(): number {
    return this.changes.size;
  }

  /** Changes (events) with createdAt in [from, to). */
  changesBetween(from: number, to: number): number {
    let count = 0;
    for (const times of this.changes.values()) for (const at of times) if (at >= from && at < to) count += 1;
    return count;
  }

  /** Whether the MES announced a change of the order at exactly this instant. */
  knows(ref: string, at: number): boolean {
    return this.changes.get(ref)?.includes(at) ?? false;
  }

  /** When the version the MES stamped `updatedAt` was replaced by the next one; undefined while it is current. */
  supersededAt(ref: string, updatedAt: number): number | undefined {
    const times = this.changes.get(ref);
    if (!times) return undefined;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= updatedAt) lo = mid + 1;
      else hi = mid;
    }
    return times[lo];
  }
}

export interface StaleFigures {
  /** Answers whose version had already been replaced at the MES when the request was sent. */
  stale: number;
  /** How long before the request the answered version had been replaced (ms). */
  staleMs: { p50: number; p99: number; max: number };
}

export interface Staleness {
  /** 200 answers checked. */
  answers: number;
  /** Answers whose version had already been replaced at the MES when the request was sent. */
  stale: number;
  staleShare: number;
  /** How long before the request the answered version had been replaced, over the stale answers (ms). */
  staleMs: { p50: number; p99: number; max: number };
  /** The same over every answer (a fresh answer counts 0). */
  allP99Ms: number;
  /** Answers showing a version the change log never heard of (an MES updatedAt, or a status the order never had): should be 0. */
  unknownVersions: number;
  /**
   * Split by what the cache said: answers it labelled stale (served because the MES call failed or
   * was refused, e.g. Cache-Status detail=mes-busy) and answers it presented as current.
   */
  labelledStale: StaleFigures;
  presentedCurrent: StaleFigures;
}

/** Cache-Status of an answer the cache served stale because the MES could not be asked (RFC 9211 fwd=stale plus a failure detail). */
export function labelledStale(cacheStatus: string | undefined): boolean {
  return (
    !!cacheStatus &&
    /fwd=stale/.test(cacheStatus) &&
    /detail=(mes-busy|breaker-open|mes-timeout|mes-unreachable|mes-error|mes-answer-too-large)/.test(cacheStatus)
  );
}

function figures(ages: number[]): StaleFigures {
  ages.sort((a, b) => a - b);
  return {
    stale: ages.length,
    staleMs: ages.length
      ? { p50: percentile(ages, 50), p99: percentile(ages, 99), max: ages.at(-1)! }
      : { p50: 0, p99: 0, max: 0 },
  };
}

/**
 * An answer is stale when the MES had already replaced the version it shows before the partner
 * sent the request: a change racing the request in flight is not counted against anybody. The MES's
 * own representation shows its version as updatedAt; the gateway's order resource shows the
 * external status, which is stale once the MES made a change that moves the order to another one.
 */
export function staleness(reads: Read[], refOf: (order: number) => string, log: ChangeLog): Staleness {
  const ages: number[] = [];
  const split = { labelled: [] as number[], current: [] as number[] };
  let answers = 0;
  let unknownVersions = 0;
  for (const read of reads) {
    if (read.status !== 200) continue;
    const ref = refOf(read.order);
    let replaced: number | undefined | null;
    if (read.orderStatus !== undefined) replaced = log.statusSupersededAt(ref, read.orderStatus, read.sentAt);
    else if (read.updatedAt !== undefined)
      replaced = log.knows(ref, read.updatedAt) ? log.supersededAt(ref, read.updatedAt) : null;
    else continue;
    answers += 1;
    if (replaced === null) unknownVersions += 1;
    else if (replaced !== undefined && replaced <= read.sentAt) {
      ages.push(read.sentAt - replaced);
      (labelledStale(read.cacheStatus) ? split.labelled : split.current).push(read.sentAt - replaced);
    }
  }
  ages.sort((a, b) => a - b);
  const all = [...new Array<number>(answers - ages.length).fill(0), ...ages];
  return {
    answers,
    stale: ages.length,
    staleShare: answers ? ages.length / answers : 0,
    staleMs: ages.length
      ? { p50: percentile(ages, 50), p99: percentile(ages, 99), max: ages.at(-1)! }
      : { p50: 0, p99: 0, max: 0 },
    allP99Ms: all.length ? percentile(all, 99) : 0,
    unknownVersions,
    labelledStale: figures(split.labelled),
    presentedCurrent: figures(split.current),
  };
}
