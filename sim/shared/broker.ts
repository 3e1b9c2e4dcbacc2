import type { Channel, ChannelModel, Message } from 'amqplib';
import { ClusterConnection } from '../../src/adapters/rabbitmq/cluster-connection.js';
import { sleep } from './clock.js';
import { errorMessage } from '../../src/shared/error-message.js';

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

export interface ConnectBrokerOptions {
  /** Shown as the connection's name by RabbitMQ (`rabbitmqctl list_connections client_properties`). */
  name: string;
  /** Opens the channels, checks the queues and resumes consuming: runs after every (re)connect, before the connection is used. */
  setup: (model: ChannelModel) => Promise<void>;
  log: (line: string) => void;
}

/** Reconnect delays: 200 ms doubling up to 5 s, ±50% so that the simulators do not reconnect in step. */
const backoff = { initialDelay: 200, maxDelay: 5000, factor: 2, jitter: 0.5 };

/**
 * Connects to the first node of `url` (one AMQP URL, or several comma-separated: the nodes of a
 * cluster) that answers: once connected, a lost connection (node down, broker restart, forced
 * close, network) is reconnected for ever, to the next node, and `setup` runs again on the new one.
 * The first connection fails fast instead, after one try of every node, so that a broker that is not
 * running is one clear line.
 */
export async function connectBroker(
  url: string,
  { name, setup, log }: ConnectBrokerOptions,
): Promise<ClusterConnection> {
  let setupFailure: unknown;
  const urls = url.split(',').map((node) => node.trim());
  const connection = new ClusterConnection({
    urls,
    name,
    backoff,
    setup: (model: ChannelModel) =>
      setup(model).catch((error: unknown) => {
        setupFailure = error;
        throw error;
      }),
  });
  connection.on('error', () => {});
  try {
    await connection.start(1);
  } catch (error) {
    // A queue still missing after --wait-ms, or a refused declaration: RabbitMQ itself was reachable.
    if (error === setupFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const where = urls.map(redactUrl).join(', ');
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      throw new BrokerUnreachable(`cannot reach RabbitMQ at ${where}: start it with \`rabbitmq-server -detached\``);
    }
    throw new BrokerUnreachable(`cannot connect to RabbitMQ at ${where}: ${errorMessage(error)}`);
  }
  // Attached after the first connection, so `connect` only ever means a reconnect.
  connection.on('disconnect', (error: Error) => log(`lost the RabbitMQ connection (${error.message}); reconnecting`));
  connection.on('connect', (address: string) => log(`reconnected to RabbitMQ at ${address}`));
  return connection;
}

/**
 * Acks unless the message's channel died meanwhile (it throws then): the broker redelivers the
 * message on the next connection, and the receiver de-duplicates it.
 */
export function ackIfOpen(channel: Channel, message: Message): boolean {
  try {
    channel.ack(message);
    return true;
  } catch {
    return false;
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
export async function waitForQueue(
  connection: ChannelModel,
  queue: string,
  { waitMs, log, retryMs = 500 }: WaitForQueueOptions,
): Promise<void> {
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
      if (!/NOT_FOUND|404/.test(errorMessage(error))) throw error;
    }
    if (!announced) log(`waiting for queue ${queue} (is the gateway running?)`);
    announced = true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new QueueMissing(
        `queue ${queue} still does not exist after ${waitMs} ms: start the gateway (it declares the queues), or wait longer with --wait-ms`,
      );
    }
    await sleep(Math.min(retryMs, remaining));
  }
}
