import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { connect } from './amqp.js';

/** Reconnect delays: capped exponential backoff with jitter, per round over the nodes. */
export interface Backoff {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  /** 0–1: each delay is spread by ± this fraction, so clients do not reconnect in step. */
  jitter: number;
}

export interface ClusterConnectionOptions {
  /** The nodes, tried in this order first, then round-robin from the one after the node that was lost. */
  urls: readonly string[];
  /** Shown by the broker as the connection's name (rabbitmqctl list_connections client_properties). */
  name: string;
  backoff: Backoff;
  /** Opens channels, declares, consumes: runs on every new connection, given its node (host:port), before it counts as connected. */
  setup: (model: ChannelModel, address: string) => Promise<void>;
}

/**
 * A node that does not answer (host down, packets dropped) fails over after this long instead of
 * the operating system's TCP timeout, which is minutes.
 */
const connectTimeoutMs = 5000;

/** What logs and /readyz may show of a node: host and port, never the credentials. */
export function nodeAddress(url: string): string {
  try {
    const { protocol, hostname, port } = new URL(url);
    return `${hostname}:${port || (protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return '(unparseable AMQP URL)';
  }
}

/**
 * One AMQP connection to a RabbitMQ cluster given as a list of nodes. amqplib's own recovery
 * reconnects only to the one URL it was given, so a dead node would stall the client until that
 * node returned although its queues' replicas live on; this connects to the first node that
 * answers and, when the connection drops, to the next ones round-robin, running `setup` on each new
 * connection. Events: `connect` (address), `disconnect` (error), `connect-failed` (error, address),
 * `error` (error of the live connection).
 */
export class ClusterConnection extends EventEmitter {
  private model?: ChannelModel;
  private nextNode = 0;
  /** Failed attempts since the last connection: they set the round, and so the delay. */
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The node of the live connection (host:port). */
  address?: string;

  constructor(private readonly options: ClusterConnectionOptions) {
    super();
    if (!options.urls.length) throw new Error('no RabbitMQ node given (amqp.url or amqp.urls)');
  }

  /**
   * Connects; resolves on the first connection and rejects after `rounds` rounds over every node
   * failed (Infinity: never). Once connected, a lost connection is reconnected for ever.
   */
  start(rounds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onConnect = () => {
        this.off('gave-up', reject);
        resolve();
      };
      this.once('connect', onConnect);
      this.once('gave-up', (error: Error) => {
        this.off('connect', onConnect);
        reject(error);
      });
      void this.attempt(rounds * this.options.urls.length);
    });
  }

  /** The live connection, or undefined while reconnecting. */
  current(): ChannelModel | undefined {
    return this.model;
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const model = this.model;
    this.model = undefined;
    await model?.close().catch(() => undefined);
  }

  private async attempt(maxAttempts = Infinity): Promise<void> {
    if (this.stopped) return;
    const url = this.options.urls[this.nextNode]!;
    this.nextNode = (this.nextNode + 1) % this.options.urls.length;
    let model: ChannelModel | undefined;
    let lost: Error | undefined;
    try {
      model = await connect(url, {
        clientProperties: { connection_name: this.options.name },
        timeout: connectTimeoutMs,
      });
      // Until setup is done this connection's errors are no one else's: a loss fails setup or is seen below.
      model.on('error', () => {});
      model.once('close', (error?: Error) => {
        lost = error ?? new Error('connection closed');
        if (this.model === model) this.connectionLost(lost);
      });
      await this.options.setup(model, nodeAddress(url));
    } catch (error) {
      await model?.close().catch(() => undefined);
      this.attemptFailed(error instanceof Error ? error : new Error(String(error)), url, maxAttempts);
      return;
    }
    if (this.stopped) return void (await model.close().catch(() => undefined));
    if (lost) {
      // Lost after its setup finished: what setup made ready (channels, consumers) must hear it is gone.
      this.emit('disconnect', lost);
      this.attemptFailed(lost, url, maxAttempts);
      return;
    }
    this.model = model;
    this.address = nodeAddress(url);
    this.failures = 0;
    model.on('error', (error: Error) => this.emit('error', error));
    this.emit('connect', this.address);
  }

  private connectionLost(error: Error): void {
    this.model = undefined;
    this.address = undefined;
    if (this.stopped) return;
    this.emit('disconnect', error);
    this.retryLater();
  }

  private attemptFailed(error: Error, url: string, maxAttempts: number): void {
    this.failures++;
    this.emit('connect-failed', error, nodeAddress(url));
    if (this.stopped) return;
    if (this.failures >= maxAttempts) {
      this.stopped = true;
      this.emit('gave-up', error);
      return;
    }
    this.retryLater(maxAttempts);
  }

  /** The next node after a delay that grows with every full round over the nodes that failed. */
  private retryLater(maxAttempts = Infinity): void {
    const round = Math.floor(this.failures / this.options.urls.length) + 1;
    this.timer = setTimeout(() => void this.attempt(maxAttempts), backoffDelay(this.options.backoff, round));
  }
}

/** The delay before round `round` (1-based): capped so that even its jitter never passes maxDelay. */
export function backoffDelay({ initialDelay, maxDelay, factor, jitter }: Backoff, round: number): number {
  const base = Math.min(maxDelay / (1 + jitter), initialDelay * factor ** (round - 1));
  return Math.max(0, Math.round(base + (Math.random() * 2 - 1) * base * jitter));
}

/** One plain connection to the first node that answers, for one-shot work; throws the last node's error. */
export async function connectFirst(urls: readonly string[]): Promise<ChannelModel> {
  let failure: unknown = new Error('no RabbitMQ node given (amqp.url or amqp.urls)');
  for (const url of urls) {
    try {
      return await connect(url, { timeout: connectTimeoutMs });
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}
