import type { Channel, ConsumeMessage } from 'amqplib';
import { referenceMesValidators } from './contracts.js';
import { contextFrom, inSpan, traceHeaders } from '../../src/telemetry/tracing.js';
import { processSpan } from '../../src/telemetry/messaging-spans.js';
import { ackIfOpen } from '../shared/broker.js';
import { parseJsonContent } from '../shared/message.js';
import { handleMesCommand, type CommandContext } from './command-handler.js';
import type { EventOutlet } from './event-outlet.js';

export interface CommandConsumerDeps {
  context: CommandContext;
  outlet: EventOutlet;
  log: (line: string) => void;
  /** Asked after each acked command, with the running count: true leaves every later command unacked, as a dying process would. */
  freezeAfter: (handled: number) => boolean;
  /** Per order, the trace context of the command that created it: the order's events continue that trace. */
  orderTraces: Map<string, Record<string, string>>;
}

export interface CommandConsumer {
  /** Consumes on this channel from now on (once started): the connection's setup hands over each new one. */
  use(channel: Channel): Promise<void>;
  /** Starts taking commands. */
  start(): Promise<void>;
  /** Stops taking commands and waits for the ones in flight to be answered and acked. */
  stop(): Promise<void>;
}

/**
 * The MES's command queue edge: decode, validate, apply, publish the answer, ack. A command is
 * acked only once its answer is confirmed by the broker, so a crash in between redelivers it.
 * So does a lost connection; the redelivered command is then a duplicate by its messageId.
 */
export function createCommandConsumer(
  queue: string,
  { context, outlet, log, freezeAfter, orderTraces }: CommandConsumerDeps,
): CommandConsumer {
  const validate = referenceMesValidators().command;
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  let frozen = false;
  let running = false;
  let current: { channel: Channel; consumerTag?: string } | undefined;

  async function handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    if (frozen) return;
    context.counters.commandsReceived += 1;
    const command = validate(parseJsonContent(message.content));
    if (!command.ok) {
      context.counters.invalidCommands += 1;
      log(
        `invalid command ${message.properties.messageId ?? '(no messageId)'} acked and ignored: ${command.problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`,
      );
      ackIfOpen(channel, message);
      return;
    }
    const ref = command.value.body.externalRef;
    if (!orderTraces.has(ref)) orderTraces.set(ref, traceHeaders(message.properties.headers));
    const outcome = handleMesCommand(context, command.value);
    if (outcome.kind === 'answered') {
      try {
        await Promise.all(outcome.events.map((event) => outlet.send(event)));
      } catch (error) {
        log(`could not publish the answer to ${command.value.header.messageId}, leaving it unacked: ${String(error)}`);
        return;
      }
    }
    if (frozen || !ackIfOpen(channel, message)) return;
    handled += 1;
    if (freezeAfter(handled)) frozen = true;
  }

  async function consume(): Promise<void> {
    if (!running || !current) return;
    const consuming = current;
    const { consumerTag } = await consuming.channel.consume(queue, (message) => {
      if (!message) return;
      const span = processSpan(queue, message);
      const handling = inSpan(span.name, { ...span.options, parent: contextFrom(message.properties.headers) }, () =>
        handle(consuming.channel, message),
      ).catch((error: unknown) => log(`command handling failed: ${String(error)}`));
      inFlight.add(handling);
      void handling.finally(() => inFlight.delete(handling));
    });
    consuming.consumerTag = consumerTag;
  }

  return {
    async use(channel) {
      current = { channel };
      await consume();
    },
    async start() {
      running = true;
      await consume();
    },
    async stop() {
      running = false;
      if (current?.consumerTag) await current.channel.cancel(current.consumerTag).catch(() => {});
      // Answers may sit in a reorder window that no further event will fill.
      outlet.flush();
      await Promise.allSettled([...inFlight]);
    },
  };
}
