import type { Channel, ConsumeMessage } from 'amqplib';
import type { MesCommand } from '../../src/contracts/generated/mes/command.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { parseJsonContent } from '../shared/message.js';
import { handleMesCommand, type CommandContext } from './command-handler.js';
import type { EventOutlet } from './event-outlet.js';

export interface CommandConsumerDeps {
  context: CommandContext;
  outlet: EventOutlet;
  log: (line: string) => void;
  /** Asked after each acked command, with the running count: true leaves every later command unacked, as a dying process would. */
  freezeAfter: (handled: number) => boolean;
}

export interface CommandConsumer {
  /** Stops taking commands and waits for the ones in flight to be answered and acked. */
  stop(): Promise<void>;
}

/**
 * The MES's command queue edge: decode, validate, apply, publish the answer, ack. A command is
 * acked only once its answer is confirmed by the broker, so a crash in between redelivers it.
 */
export async function consumeMesCommands(channel: Channel, queue: string, { context, outlet, log, freezeAfter }: CommandConsumerDeps): Promise<CommandConsumer> {
  const validate = validatorFor<MesCommand>('mesCommand');
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  let frozen = false;

  async function handle(message: ConsumeMessage): Promise<void> {
    if (frozen) return;
    context.counters.commandsReceived += 1;
    const command = validate(parseJsonContent(message.content));
    if (!command.ok) {
      context.counters.invalidCommands += 1;
      log(`invalid command ${message.properties.messageId ?? '(no messageId)'} acked and ignored: ${command.problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`);
      channel.ack(message);
      return;
    }
    const outcome = handleMesCommand(context, command.value);
    if (outcome.kind === 'answered') {
      try {
        await Promise.all(outcome.events.map((event) => outlet.send(event)));
      } catch (error) {
        log(`could not publish the answer to ${command.value.header.messageId}, leaving it unacked: ${String(error)}`);
        return;
      }
    }
    if (frozen) return;
    channel.ack(message);
    handled += 1;
    if (freezeAfter(handled)) frozen = true;
  }

  const { consumerTag } = await channel.consume(queue, (message) => {
    if (!message) return;
    const handling = handle(message).catch((error: unknown) => log(`command handling failed: ${String(error)}`));
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });

  return {
    async stop() {
      await channel.cancel(consumerTag).catch(() => {});
      // Answers may sit in a reorder window that no further event will fill.
      outlet.flush();
      await Promise.allSettled([...inFlight]);
    },
  };
}
