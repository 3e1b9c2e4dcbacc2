import type { Channel, ConsumeMessage } from 'amqplib';
import type { CrmCommand } from '../../src/contracts/generated/crm/command.js';
import type { CrmFact } from '../../src/contracts/generated/crm/fact.js';
import type { OrderEvent } from '../../src/contracts/generated/external/order-event.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { contextFrom, inSpan } from '../../src/telemetry/tracing.js';
import { processSpan } from '../../src/telemetry/messaging-spans.js';
import { ackIfOpen, connectBroker, waitForQueue } from '../shared/broker.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { confirmedPublisher } from '../shared/confirmed-publisher.js';
import { parseJsonContent, withoutUndefined } from '../shared/message.js';
import { seededRandom } from '../shared/seeded.js';
import { startCommandPacer, type CommandPacer } from './command-pacer.js';
import { crmDefaults, randomRunId, type CrmSettings } from './options.js';
import { createOrderGenerator } from './order-generator.js';
import { CrmOrders, type CrmOrderRecord } from './order-records.js';
import { buildReport, type CrmReport, type FinishedBy } from './report.js';

export interface CrmSimulatorOptions extends Partial<CrmSettings> {
  clock?: Clock;
  log?: (line: string) => void;
}

export interface CrmSimulator {
  runId: string;
  /** Resolves when the run ends: every order answered (or all published without --settle), timeout, stop. */
  done: Promise<CrmReport>;
  stats(): CrmReport;
  /** Stops publishing and listening; resolves with the final report. */
  stop(): Promise<CrmReport>;
}

export async function startCrmSimulator(options: CrmSimulatorOptions = {}): Promise<CrmSimulator> {
  const { clock = systemClock, log = () => {}, ...given } = options;
  const settings: CrmSettings = { ...crmDefaults, runId: randomRunId(), ...withoutUndefined(given) };
  const validCommand = validatorFor<CrmCommand>('crmCommand');
  const validFact = validatorFor<CrmFact>('crmFact');
  const validEvent = validatorFor<OrderEvent>('orderEvent');

  const orders = new CrmOrders();
  const generator = createOrderGenerator(settings);
  const publisher = confirmedPublisher();
  const followUpDelay = seededRandom(settings.seed);
  const deliveryTimers = new Set<NodeJS.Timeout>();
  let sent = 0;
  let published = 0;
  let unconfirmed = 0;
  let unpublished = 0;
  let invalidEventsHeard = 0;
  let finishedBy: FinishedBy | undefined;
  let listening: { channel: Channel; consumerTag: string } | undefined;
  let pacer: CommandPacer | undefined;
  let resolveDone!: (report: CrmReport) => void;
  const done = new Promise<CrmReport>((resolve) => (resolveDone = resolve));
  const stats = () => buildReport(orders, { runId: settings.runId, sent, published, invalidEventsHeard, finishedBy });

  const connection = await connectBroker(settings.amqpUrl, {
    name: 'orderbridge sim crm',
    log,
    async setup(model) {
      await waitForQueue(model, settings.queue, { waitMs: settings.waitMs, log });
      const publishChannel = await model.createConfirmChannel();
      await publishChannel.assertExchange(settings.commandExchange, 'topic', { durable: true });
      await publishChannel.assertExchange(settings.factExchange, 'topic', { durable: true });
      if (!finishedBy) {
        // Listening starts before sending, and events left over in the queue can arrive at once, before the pacer exists.
        const channel = await model.createChannel();
        await channel.prefetch(settings.prefetch);
        const { consumerTag } = await channel.consume(settings.queue, (message) => {
          if (message) hear(channel, message);
        });
        listening = { channel, consumerTag };
      }
      // Last: what waited for the reconnect goes out now, on a connection that is completely set up.
      publisher.use(publishChannel);
    },
  });

  /** Events are de-duplicated by their CloudEvent id: one whose ack died with the connection comes again. */
  function hear(channel: Channel, message: ConsumeMessage): void {
    // A consumer span continuing the event's trace; the delivery fact it may schedule is its child.
    const span = processSpan(settings.queue, message);
    void inSpan(span.name, { ...span.options, parent: contextFrom(message.properties.headers) }, async () =>
      heard(channel, message),
    );
  }

  function heard(channel: Channel, message: ConsumeMessage): void {
    const event = validEvent(parseJsonContent(message.content));
    if (!event.ok) {
      invalidEventsHeard += 1;
      log(
        `ignored an event that breaks the order event contract: ${event.problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`,
      );
    } else {
      const hearing = orders.hear(event.value);
      if (hearing.kind === 'recorded' && hearing.becameShipped && !hearing.record.deliveryScheduled)
        scheduleDelivery(hearing.record);
    }
    ackIfOpen(channel, message);
    checkFinished();
  }

  /** Every message is published until the broker confirms it, across reconnects: only a run that ends gives up on one. */
  function publish(
    exchange: string,
    message: CrmCommand | CrmFact,
    onConfirmed?: () => void,
    trace?: Record<string, unknown>,
  ): void {
    unconfirmed += 1;
    publisher
      .publish(exchange, message.type, message, message.messageId, trace)
      .then(
        () => {
          published += 1;
          onConfirmed?.();
        },
        () => (unpublished += 1),
      )
      .finally(() => {
        unconfirmed -= 1;
        checkFinished();
      });
  }

  function sendCommand(command: CrmCommand, onConfirmed?: () => void): void {
    const valid = validCommand(command);
    if (!valid.ok)
      throw new Error(`the CRM simulator built an invalid ${command.type}: ${JSON.stringify(valid.problems)}`);
    if (command.type === 'order.create') orders.noteCreate(command.orderId, command.messageId);
    else orders.noteSent(command.orderId, command.messageId);
    // Each command starts its own trace (an empty carrier: no parent).
    publish(settings.commandExchange, command, onConfirmed, {});
  }

  function scheduleFollowUps(index: number, orderId: string): void {
    const { update, cancel } = generator.followUpsOf(index);
    const now = clock.now();
    if (update)
      pacer?.later(now + 200 + followUpDelay() * 400, () => sendCommand(generator.update(orderId, clock.now())));
    if (cancel)
      pacer?.later(now + 700 + followUpDelay() * 800, () => sendCommand(generator.cancel(orderId, clock.now())));
  }

  function scheduleDelivery(record: CrmOrderRecord): void {
    record.deliveryScheduled = true;
    const timer = setTimeout(() => {
      deliveryTimers.delete(timer);
      const fact: CrmFact = {
        messageId: `${record.orderId}:delivered`,
        type: 'order.delivered',
        occurredAt: new Date(clock.now()).toISOString(),
        orderId: record.orderId,
      };
      const valid = validFact(fact);
      if (!valid.ok) throw new Error(`the CRM simulator built an invalid fact: ${JSON.stringify(valid.problems)}`);
      publish(settings.factExchange, fact);
    }, settings.deliverAfterMs);
    deliveryTimers.add(timer);
  }

  pacer = startCommandPacer({
    clock,
    tickMs: settings.tickMs,
    total: settings.orders,
    rate: settings.rate,
    create: (index) => {
      const command = generator.create(index, clock.now());
      sendCommand(command, () => {
        sent += 1;
        scheduleFollowUps(index, command.orderId);
      });
    },
  });
  const timeout = setTimeout(() => void finish('timeout'), settings.timeoutMs);

  function checkFinished(): void {
    if (finishedBy || !pacer?.idle() || unconfirmed > 0) return;
    if (!settings.settle) void finish('published');
    else if (orders.everyOrderAnswered()) void finish('settled');
  }

  async function finish(reason: FinishedBy): Promise<CrmReport> {
    if (finishedBy) return done;
    finishedBy = reason;
    pacer?.stop();
    clearTimeout(timeout);
    for (const timer of deliveryTimers) clearTimeout(timer);
    if (listening) await listening.channel.cancel(listening.consumerTag).catch(() => {});
    // A timeout or stop while RabbitMQ is away must not wait for it to come back.
    publisher.stopWaiting();
    await publisher.settled();
    if (unpublished) log(`${unpublished} message(s) not published: RabbitMQ had not confirmed them when the run ended`);
    await connection.close().catch(() => {});
    resolveDone(stats());
    return done;
  }

  log(
    `CRM simulator: run ${settings.runId}, ${settings.orders} orders at ${settings.rate}/s to ${settings.commandExchange}, listening on ${settings.queue}`,
  );
  return { runId: settings.runId, done, stats, stop: () => finish('stopped') };
}
