import type { Test } from 'tap';
import Database from 'better-sqlite3';
import { Broker } from '../../src/adapters/rabbitmq/broker.js';
import { gatewayConsumers } from '../../src/adapters/rabbitmq/consumer.js';
import type { InboundMessage, Settlement } from '../../src/adapters/rabbitmq/inbound.js';
import type { AppDeps, Publisher } from '../../src/app/ports.js';
import type { Config } from '../../src/config/index.js';
import { brokerUrls } from '../../src/config/broker-urls.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger, type LedgerStore, type SqliteLedger } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer, type Received, waitFor } from './amqp-peer.js';
import { testConfig } from './gateway-config.js';
import type { Vhost } from './vhost.js';

/**
 * The boundaries between a handler's steps where a process can die: after its ledger write
 * committed; after a publish went to the broker but before its confirm; after the confirm, before
 * the ledger notes the publish (mark forwarded / published); after that; and after the handler
 * finished but before the broker got the ack.
 */
export const crashPoints = [
  'after ledger write',
  'after publish sent',
  'after confirm',
  'before mark',
  'after mark',
  'before ack',
] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** What the pipeline's ports tell at each step boundary; the work goes on when `pass` resolves. */
export interface StepWatch {
  pass(point: CrashPoint): Promise<void>;
  /** Resolves unless the work must not go on at all (a crashed process does nothing more). */
  alive(): Promise<void>;
}

const never = new Promise<never>(() => {});

/**
 * One planned crash: the first time the work reaches `at` it stops there for good, and so does
 * every later step, as in a process killed at that instant. Deterministic where `kill -9` is not.
 */
export class Crash implements StepWatch {
  readonly #reached: Promise<void>;
  #signal!: () => void;
  #fired = false;

  constructor(readonly at: CrashPoint) {
    this.#reached = new Promise((resolve) => {
      this.#signal = resolve;
    });
  }

  /** Resolves unless the work has reached the crash point (now or earlier): then never. */
  pass(point: CrashPoint): Promise<void> {
    if (this.#fired) return never;
    if (point !== this.at) return Promise.resolve();
    this.#fired = true;
    this.#signal();
    return never;
  }

  alive(): Promise<void> {
    return this.#fired ? never : Promise.resolve();
  }

  /** Resolves once the work has reached the crash point; fails after `ms` if it never does. */
  reachedWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the work never reached "${this.at}" in ${ms} ms`)), ms);
    });
    return Promise.race([this.#reached, late]).finally(() => clearTimeout(timer));
  }
}

/** Records the step boundaries passed, in order, and any other event noted (such as an fsync). */
export class StepLog implements StepWatch {
  readonly events: string[] = [];

  pass(point: CrashPoint): Promise<void> {
    this.events.push(point);
    return Promise.resolve();
  }

  alive(): Promise<void> {
    return Promise.resolve();
  }

  note(event: string): void {
    this.events.push(event);
  }
}

const ledgerWrites = ['recordCommand', 'recordMesEvent', 'recordCrmFact', 'submitPartnerOrder'] as const;
const ledgerMarks = ['markForwarded', 'markPublished'] as const;

/** The ledger, telling the steps after its writes and around its marks; everything else as it is. */
export function watchedLedger(ledger: LedgerStore, steps: StepWatch): LedgerStore {
  const watched =
    (method: (...args: never[]) => Promise<unknown>, before: CrashPoint | undefined, after: CrashPoint) =>
    async (...args: never[]) => {
      await (before ? steps.pass(before) : steps.alive());
      const result = await method.apply(ledger, args);
      await steps.pass(after);
      return result;
    };
  const overrides = new Map<PropertyKey, unknown>([
    ...ledgerWrites.map((name) => [name, watched(ledger[name] as never, undefined, 'after ledger write')] as const),
    ...ledgerMarks.map((name) => [name, watched(ledger[name] as never, 'before mark', 'after mark')] as const),
  ]);
  return new Proxy(ledger, {
    get(target, property) {
      if (overrides.has(property)) return overrides.get(property);
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The publisher, telling the steps once a message is sent and once the broker confirmed it. */
export function watchedPublisher(publisher: Publisher, steps: StepWatch): Publisher {
  return {
    async publish(exchange, routingKey, content, options) {
      await steps.alive();
      const confirmed = publisher.publish(exchange, routingKey, content, options);
      confirmed.catch(() => undefined);
      await steps.pass('after publish sent');
      await confirmed;
      await steps.pass('after confirm');
    },
  };
}

function watchedHandler(
  handle: (message: InboundMessage) => Promise<Settlement>,
  steps: StepWatch,
): (message: InboundMessage) => Promise<Settlement> {
  return async (message) => {
    const settlement = await handle(message);
    if (settlement === 'ack') await steps.pass('before ack');
    return settlement;
  };
}

/**
 * The gateway's message pipeline in-process (broker, ledger, the three consumers, as the composition
 * root wires them), its steps watched when `steps` is given (a planned crash, or a log). `crash()`
 * drops it as a killed process drops out: its connection closes without waiting for the stopped
 * work, so the broker requeues every unacked message. `ledger` replaces the SQLite ledger it opens.
 */
export async function startPipeline(
  config: Config,
  { steps, ledger }: { steps?: StepWatch; ledger?: SqliteLedger } = {},
) {
  const store =
    ledger ?? openSqliteLedger({ path: config.gateway.ledger.path, synchronous: 'FULL', policy: ledgerPolicy(config) });
  const { amqp } = config.gateway;
  const broker = new Broker({ urls: brokerUrls(amqp), amqp, logger: silentLogger });
  await broker.start();
  const deps: AppDeps = {
    ledger: steps ? watchedLedger(store, steps) : store,
    publisher: steps ? watchedPublisher(broker, steps) : broker,
    config,
    clock: Date.now,
    logger: silentLogger,
  };
  for (const { queue, handle } of gatewayConsumers(deps))
    await broker.consume(queue, steps ? watchedHandler(handle, steps) : handle);
  let stopped = false;
  const stop = async (graceMs: number) => {
    if (stopped) return;
    stopped = true;
    await broker.close(graceMs);
    await store.close();
  };
  return { deps, ledger: store, broker, crash: () => stop(0), stop: () => stop(10_000) };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/**
 * A fresh ledger and empty queues (in a vhost the test file shares), a peer that collects what the gateway sends, and the SQLite
 * rows to assert on. `settle(pipeline)` waits without sleeping until the pipeline has taken every
 * input, stops it gracefully (its work finishes and is acked), and fences every output queue: what
 * the pipeline sent is then all in the peer's hands, so counts are exact.
 */
export async function crashScene(t: Test, vhost: Vhost) {
  const env = testConfig({ amqpUrl: vhost.url });
  const { config } = env;
  const { queues, exchanges } = config.gateway.amqp;
  const pipelines: Pipeline[] = [];
  const start = async (options: Parameters<typeof startPipeline>[1] = {}) => {
    const pipeline = await startPipeline(config, options);
    pipelines.push(pipeline);
    return pipeline;
  };
  // Declares the topology, as the gateway does on start.
  await (await start()).stop();
  const peer = await amqpPeer(vhost.url);
  const inputs = [queues.crmCommands, queues.crmEvents, queues.mesEvents];
  const outputs = [queues.mesCommands, queues.crmOrderEvents, queues.crmPartnerOrders, queues.deadLetter];
  for (const queue of [...inputs, ...outputs]) await peer.channel.purgeQueue(queue);
  const collected = new Map<string, Received[]>();
  for (const queue of outputs) collected.set(queue, await peer.collect(queue));
  t.teardown(async () => {
    for (const pipeline of pipelines) await pipeline.crash();
    await peer.close();
    env.remove();
  });
  const rows = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(env.ledgerPath, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const ready = async (queue: string) => (await peer.channel.checkQueue(queue)).messageCount;
  /** Messages ready in the queue (none is unacked once no pipeline consumes it). */
  const waitingIn = async (queue: string, count: number) => {
    await waitFor(async () => (await ready(queue)) === count, 5000, `${count} message(s) ready in ${queue}`).catch(
      () => undefined,
    );
    return ready(queue);
  };
  const settle = async (pipeline: Pipeline) => {
    for (const queue of inputs) await waitFor(async () => (await ready(queue)) === 0, 15_000, `${queue} taken`);
    await pipeline.stop();
    for (const queue of outputs) await peer.fence(queue);
  };
  return {
    config,
    queues,
    exchanges,
    peer,
    toMes: collected.get(queues.mesCommands)!,
    toCrm: collected.get(queues.crmOrderEvents)!,
    toCrmRequests: collected.get(queues.crmPartnerOrders)!,
    deadLetters: collected.get(queues.deadLetter)!,
    start,
    rows,
    settle,
    waitingIn,
  };
}
