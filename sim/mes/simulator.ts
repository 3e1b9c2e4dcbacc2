import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { connectBroker, waitForQueue } from '../shared/broker.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { confirmedPublisher } from '../shared/confirmed-publisher.js';
import { withoutUndefined } from '../shared/message.js';
import { jittered, seededRandom } from '../shared/seeded.js';
import { createMesApi } from './api.js';
import { ApiBehaviour } from './api-behaviour.js';
import type { CommandContext } from './command-handler.js';
import { createCommandConsumer } from './command-consumer.js';
import { createEventFactory } from './event-factory.js';
import { createEventOutlet } from './event-outlet.js';
import { planFaults, type FaultPlan } from './fault-plan.js';
import { checkFaultShares, mesDefaults, type MesSettings } from './options.js';
import { OrderBook } from './order-book.js';
import { startProductionLoop } from './production-loop.js';
import { MesCounters, type MesStats } from './stats.js';

/** How long the acks written before a --crash-after kill get to reach the broker. */
const crashFlushMs = 100;

export interface MesSimulatorOptions extends Partial<MesSettings> {
  clock?: Clock;
  log?: (line: string) => void;
  /** What --crash-after does; only the CLI passes one (a SIGKILL), so in-process runs never die. */
  onCrash?: () => void;
  /** Goes into every event id, so a restarted MES never repeats one; random by default. */
  instanceId?: string;
}

export interface MesSimulator {
  /** The HTTP API's real port. */
  port: number;
  stats(): MesStats;
  /** Stops consuming, finishes what is in flight, closes everything. */
  stop(): Promise<void>;
}

export async function startMesSimulator(options: MesSimulatorOptions = {}): Promise<MesSimulator> {
  const {
    clock = systemClock,
    log = () => {},
    onCrash,
    instanceId = randomBytes(3).toString('hex'),
    ...given
  } = options;
  const settings: MesSettings = { ...mesDefaults, ...withoutUndefined(given) };
  checkFaultShares(settings);

  const random = seededRandom(settings.seed);
  const book = new OrderBook();
  const counters = new MesCounters();
  const events = createEventFactory(clock, instanceId);
  const publisher = confirmedPublisher();
  const orderTraces = new Map<string, Record<string, string>>();
  const outlet = createEventOutlet({
    publisher,
    exchange: settings.exchange,
    duplicateShare: settings.duplicateShare,
    reorderWindow: settings.reorderWindow,
    flushAfterMs: 200,
    maxHoldMs: 2000,
    random,
    counters,
    orderTraces,
  });
  const stepMs = () => jittered(random, settings.stepMs);
  const stats = () => counters.snapshot(book);

  const plans = new Map<string, FaultPlan>();
  const shares = {
    drop: settings.dropShare,
    stall: settings.stallShare,
    reject: settings.rejectShare,
    error: settings.errorShare,
    qcFail: settings.qcFailShare,
  };
  const context: CommandContext = {
    book,
    events,
    counters,
    seenMessageIds: new Set(),
    planFor: (ref) => plans.get(ref) ?? plans.set(ref, planFaults(ref, shares, settings.seed)).get(ref)!,
    startWalking: (order) => book.scheduleStep(order, clock.now() + stepMs()),
  };
  const commands = createCommandConsumer(settings.queue, {
    context,
    outlet,
    orderTraces,
    log,
    freezeAfter: (handled) => {
      if (handled !== settings.crashAfter) return false;
      if (!onCrash) {
        log(`--crash-after ${settings.crashAfter} reached (ignored when running in-process)`);
        return false;
      }
      log(`--crash-after ${settings.crashAfter} reached: crashing`);
      // Exactly N commands acked: the rest stay unacked, and the acks already written get a moment
      // to reach the broker before the kill.
      setTimeout(onCrash, crashFlushMs);
      return true;
    },
  });

  const connection = await connectBroker(settings.amqpUrl, {
    name: 'orderbridge sim mes',
    log,
    async setup(model) {
      await waitForQueue(model, settings.queue, { waitMs: settings.waitMs, log });
      const publishChannel = await model.createConfirmChannel();
      await publishChannel.assertExchange(settings.exchange, 'topic', { durable: true });
      const consumeChannel = await model.createChannel();
      await consumeChannel.prefetch(settings.prefetch);
      await commands.use(consumeChannel);
      // Last: what waited for the reconnect goes out now, on a connection that is completely set up.
      publisher.use(publishChannel);
    },
  });
  let stopping = false;
  // What a failed start must undo, newest first.
  const undo: (() => unknown)[] = [() => connection.close().catch(() => {})];
  try {
    const behaviour = new ApiBehaviour(clock, settings.apiLatencyMs);
    const { server, port } = await listen(createMesApi({ book, behaviour, stats }).fetch, settings.host, settings.port);
    undo.unshift(() => new Promise((resolve) => server.close(resolve)));

    const loop = startProductionLoop({ book, events, counters, stepMs }, clock, settings.tickMs, (event) => {
      outlet
        .send(event)
        .catch((error: unknown) =>
          log(
            `could not publish ${event.header.eventId} (${event.order.externalRef} → ${event.order.state}): ${String(error)}`,
          ),
        );
    });
    undo.unshift(() => loop.stop());

    await commands.start();
    log(
      `MES simulator: consuming ${settings.queue}, publishing to ${settings.exchange}, API on http://${settings.host}:${port}`,
    );

    return {
      port,
      stats,
      async stop() {
        if (stopping) return;
        stopping = true;
        loop.stop();
        // A broker that is down now is not waited for: answers not confirmed leave their commands
        // unacked for the next MES, as a crash would.
        publisher.stopWaiting();
        await commands.stop();
        outlet.flush();
        await publisher.settled();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await connection.close().catch(() => {});
      },
    };
  } catch (error) {
    for (const step of undo) await step();
    throw error;
  }
}

function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  hostname: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) =>
      resolve({ server: server as Server, port: info.port }),
    ) as Server;
    server.once('error', reject);
  });
}
