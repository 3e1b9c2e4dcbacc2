import { connect, type ChannelModel } from 'amqplib';
import { sleep } from './clock.js';

export const defaultAmqpUrl = 'amqp://guest:guest@127.0.0.1:5672';

/** RabbitMQ could not be reached or refused the login: the CLI exits 3 with `message`. */
export class BrokerUnreachable extends Error {
  override name = 'BrokerUnreachable';
}

/** A queue the gateway should have declared is still missing after waiting. */
export class QueueMissing extends Error {
  override name = 'QueueMissing';
}

/** The URL as it may be printed: the password never appears in a log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable AMQP URL)';
  }
}

export async function connectBroker(url: string): Promise<ChannelModel> {
  try {
    return await connect(url);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = redactUrl(url);
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      throw new BrokerUnreachable(`cannot reach RabbitMQ at ${where}: start it with \`rabbitmq-server -detached\``);
    }
    throw new BrokerUnreachable(`cannot connect to RabbitMQ at ${where}: ${(error as Error).message}`);
  }
}

export interface WaitForQueueOptions {
  waitMs: number;
  log: (line: string) => void;
  retryMs?: number;
}

/**
 * Waits until `queue` exists. The simulators never declare the queues they consume: the gateway
 * declares them with its own arguments (quorum, dead-lettering), and a declaration with other
 * arguments would fail or, worse, win the race and leave the gateway unable to start.
 */
export async function waitForQueue(connection: ChannelModel, queue: string, { waitMs, log, retryMs = 500 }: WaitForQueueOptions): Promise<void> {
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    // A missing queue closes the channel (404), so every probe gets a fresh one.
    const probe = await connection.createChannel();
    probe.on('error', () => {});
    try {
      await probe.checkQueue(queue);
      await probe.close();
      return;
    } catch (error) {
      if (!/NOT_FOUND|404/.test((error as Error).message)) throw error;
    }
    if (!announced) log(`waiting for queue ${queue} (is the gateway running?)`);
    announced = true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new QueueMissing(`queue ${queue} still does not exist after ${waitMs} ms: start the gateway (it declares the queues), or wait longer with --wait-ms`);
    }
    await sleep(Math.min(retryMs, remaining));
  }
}
