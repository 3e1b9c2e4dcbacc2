import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from 'pino';
import { AckWindow } from './ack-window.js';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { durationMs } from '../../config/index.js';
import type { Metrics } from '../../telemetry/metrics.js';
import {
  contextFrom,
  endedWith,
  headersNaming,
  publishParent,
  SpanKind,
  startRecordedSpan,
  traceHeaders,
  traceIdsOf,
  tracingEnabled,
} from '../../telemetry/tracing.js';
import {
  brokerServer,
  processAttributes,
  processSpanName,
  publishAttributes,
  publishSpanName,
  type MessagingPeer,
} from '../../telemetry/messaging-spans.js';
import { declareTopology } from './topology.js';
import { NotPublishedError } from '../../app/ports.js';
import type { Settlement } from './inbound.js';
import { errorMessage } from '../../shared/error-message.js';
import { ClusterConnection, nodeAddress } from './cluster-connection.js';
import { coalesceSocketWrites } from './coalesce-writes.js';

export type MessageHandler = (message: ConsumeMessage) => Promise<Settlement>;

export class BrokerUnreachableError extends Error {
  constructor(
    /** The nodes tried, as host:port: never the credentials. */
    readonly nodes: string,
    cause: unknown,
  ) {
    super(`cannot reach RabbitMQ at ${nodes}: ${errorMessage(cause)}`);
    this.name = 'BrokerUnreachableError';
  }
}

const requeuePauseMs = 1000;

interface Consumer {
  queue: string;
  handler: MessageHandler;
  channel?: Channel;
  /** The acknowledgements of `channel`'s deliveries. */
  acks?: AckWindow;
  tag?: string;
}

export interface BrokerOptions {
  /** The broker's nodes (amqp.urls): one, or every node of a cluster. */
  urls: readonly string[];
  amqp: GatewayConfig['amqp'];
  logger: Logger;
  /** Retries (rounds over every node) of the very first connection before start() gives up; later, reconnects never give up. */
  initialRetries?: number;
  metrics?: Pick<Metrics, 'messagesConsumed' | 'redeliveries' | 'messagesPublished'>;
}

/**
 * The gateway's RabbitMQ edge: one connection to the first node of the cluster that answers, moved
 * to the next node when it drops (capped, jittered backoff), topology re-declared and consumers
 * resumed after every reconnect, a confirm channel for publishing, manual acks with a bounded
 * prefetch, and a drain on close.
 */
export class Broker {
  private readonly connection: ClusterConnection;
  private publisher?: ConfirmChannel;
  private readonly consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly returned = new Set<string>();
  private closing = false;
  private everConnected = false;
  /** Since when the broker has been out of reach (undefined while connected). */
  private disconnectedSince?: number;
  connected = false;
  reconnects = 0;
  /** Shown by the broker for this connection (rabbitmqctl list_connections client_properties). */
  readonly connectionName = `orderbridge-${process.pid}-${randomBytes(3).toString('hex')}`;
  /** The node of the live connection (host:port), or undefined while disconnected. */
  node?: string;
  /** What every messaging span says of the broker node in use and of this client. */
  private peer: MessagingPeer;

  constructor(private readonly options: BrokerOptions) {
    const { reconnect } = options.amqp;
    this.connection = new ClusterConnection({
      urls: options.urls,
      name: this.connectionName,
      backoff: {
        initialDelay: durationMs(reconnect.initialDelay),
        maxDelay: durationMs(reconnect.maxDelay),
        factor: 2,
        jitter: 0.5,
      },
      setup: (model, address) => this.setup(model, address),
    });
    this.peer = { clientId: this.connectionName };
    this.watchConnection();
  }

  /** Connects and declares the topology; throws BrokerUnreachableError when no node can be reached. */
  async start(): Promise<void> {
    try {
      await this.connection.start((this.options.initialRetries ?? 2) + 1);
    } catch (error) {
      throw new BrokerUnreachableError(this.options.urls.map(nodeAddress).join(', '), error);
    }
  }

  /**
   * Returns at once and keeps trying to connect, with the capped backoff of reconnects, until the
   * broker answers or close() is called: a service need not be restarted because it came up first.
   * Consumers registered meanwhile start on the first connection; publishes fail (NotPublishedError).
   */
  async startInBackground(): Promise<void> {
    this.connection.on('connect-failed', (error: Error) => this.outageBegan(error));
    void this.connection.start(Infinity);
  }

  private watchConnection(): void {
    const { connection } = this;
    connection.on('disconnect', (error: Error) => {
      this.connected = false;
      this.node = undefined;
      this.publisher = undefined;
      for (const consumer of this.consumers) consumer.channel = undefined;
      if (!this.closing) this.outageBegan(error);
    });
    connection.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'RabbitMQ connection error'));
  }

  /** One line when an outage begins, however many attempts fail during it; one when it ends (setup). */
  private outageBegan(error: Error): void {
    if (this.disconnectedSince !== undefined) return;
    this.disconnectedSince = Date.now();
    // The message only: a failed connect can carry the URL as it was given, password and all
    // (Node's ERR_INVALID_URL keeps it as \`input\`), and the err serialiser would log every field.
    this.options.logger.warn(
      { err: error.message, nodes: this.options.urls.map(nodeAddress) },
      this.everConnected ? 'RabbitMQ connection lost; reconnecting' : 'RabbitMQ unreachable; retrying with backoff',
    );
  }

  /** Runs after every successful (re)connect, to whichever node: topology, publisher, consumers. */
  private async setup(model: ChannelModel, node: string): Promise<void> {
    // A connection lost while setting up must not surface as an unhandled 'error' event.
    model.on('error', (error: Error) =>
      this.options.logger.warn({ err: error }, 'RabbitMQ connection error during setup'),
    );
    coalesceSocketWrites(model);
    const admin = await model.createChannel();
    await declareTopology(admin, this.options.amqp);
    await admin.close();
    const publisher = await model.createConfirmChannel();
    publisher.on('return', (message) => {
      if (message.properties.messageId) this.returned.add(String(message.properties.messageId));
    });
    publisher.on('error', (error: Error) => this.options.logger.warn({ err: error }, 'publish channel error'));
    this.publisher = publisher;
    // Iterates consumers registered while this runs too: none is left unstarted.
    for (const consumer of this.consumers) await this.startConsumer(model, consumer);
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.node = node;
    const server = brokerServer(`amqp://${node}`);
    this.peer = { ...(server ? { server } : {}), clientId: this.connectionName };
    this.connected = true;
    const outageMs = this.disconnectedSince === undefined ? undefined : Date.now() - this.disconnectedSince;
    this.disconnectedSince = undefined;
    this.options.logger.info(
      { node, reconnects: this.reconnects, ...(outageMs === undefined ? {} : { outageMs }) },
      this.reconnects ? 'RabbitMQ reconnected; consumers resumed' : 'RabbitMQ connected',
    );
  }

  /** Runs `work` on the live connection (the ops tools open their own channels on it); fails while disconnected. */
  async withConnection<T>(
    work: (model: Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>) => Promise<T>,
  ): Promise<T> {
    const model = this.connection.current();
    if (!model || !this.connected) throw new NotPublishedError('not connected to RabbitMQ');
    return work(model);
  }

  /**
   * Messages in `queue` that no consumer has been given yet: how far behind its consumers are (the
   * ones given and not yet settled wait in the consumers' prefetch). Fails while disconnected.
   */
  async readyMessages(queue: string): Promise<number> {
    return this.withConnection(async (model) => {
      const channel = await model.createChannel();
      try {
        return (await channel.checkQueue(queue)).messageCount;
      } finally {
        await channel.close().catch(() => undefined);
      }
    });
  }

  /** Registers a consumer; it starts now if connected and again after every reconnect. */
  async consume(queue: string, handler: MessageHandler): Promise<void> {
    const consumer: Consumer = { queue, handler };
    this.consumers.push(consumer);
    const model = this.connection.current();
    if (this.connected && model) await this.startConsumer(model, consumer);
  }

  private async startConsumer(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      this.options.logger.warn({ err: error, queue: consumer.queue }, 'consumer channel error'),
    );
    await channel.prefetch(this.options.amqp.prefetch);
    const acks = new AckWindow(channel);
    const { consumerTag } = await channel.consume(consumer.queue, (message) => {
      if (!message) return this.consumerCancelled(channel, consumer);
      acks.received(message.fields.deliveryTag);
      this.track(this.settle(channel, acks, message, consumer));
    });
    consumer.channel = channel;
    consumer.acks = acks;
    consumer.tag = consumerTag;
  }

  /**
   * The broker cancelled the consumer (its queue was deleted, or was on a node that left): without
   * this the gateway would stay connected and never consume from that queue again. Tries again
   * every pause until the queue is back; a reconnect or a close ends the tries.
   */
  private consumerCancelled(cancelled: Channel, consumer: Consumer): void {
    const { logger } = this.options;
    logger.warn({ queue: consumer.queue }, 'RabbitMQ cancelled a consumer; resuming it once its queue is back');
    void cancelled.close().catch(() => undefined);
    const resume = () => {
      const model = this.connection.current();
      if (this.closing || !model || consumer.channel !== cancelled) return;
      this.startConsumer(model, consumer).then(
        () => logger.info({ queue: consumer.queue }, 'consumer resumed'),
        () => setTimeout(resume, requeuePauseMs).unref(),
      );
    };
    setTimeout(resume, requeuePauseMs).unref();
  }

  private async settle(
    channel: Channel,
    acks: AckWindow,
    message: ConsumeMessage,
    { queue, handler }: Consumer,
  ): Promise<void> {
    const { metrics } = this.options;
    if (message.fields.redelivered) metrics?.redeliveries.inc({ queue });
    let settlement: Settlement;
    try {
      settlement = tracingEnabled() ? await this.handledInSpan(queue, message, handler) : await handler(message);
    } catch (error) {
      // Handlers dead-letter what a message caused; what reaches here is the broker or the ledger
      // failing. Requeue after a pause instead of spinning through redeliveries until it is back.
      settlement = 'requeue';
      if (error instanceof NotPublishedError) this.options.logger.debug({ err: error }, 'not published; requeueing');
      else
        this.options.logger.error(
          { err: error, queue, ...traceIdsOf(message.properties.headers) },
          'message not handled; requeueing it after a pause',
        );
      await new Promise((resolve) => setTimeout(resolve, requeuePauseMs));
    }
    metrics?.messagesConsumed.inc({ queue, outcome: settlement });
    const { deliveryTag } = message.fields;
    if (settlement === 'ack') return acks.ack(deliveryTag);
    acks.settledElsewhere(deliveryTag);
    try {
      channel.nack(message, false, true);
    } catch {
      // The channel died with the connection: the broker redelivers the message, and the ledger
      // makes the redelivery finish the work instead of doing it twice.
    }
  }

  /**
   * `handler` in a CONSUMER span continuing the delivery's trace, when the SDK records it; the
   * handler is given the delivery with headers naming that span, so what it publishes is its child.
   * A delivery not recorded is handled as with tracing off: its own trace context travels on.
   */
  private handledInSpan(queue: string, message: ConsumeMessage, handler: Consumer['handler']): Promise<Settlement> {
    const { headers } = message.properties;
    const parent = contextFrom(headers);
    const span = startRecordedSpan(processSpanName(queue, message.fields), SpanKind.CONSUMER, parent);
    if (!span) return handler(message);
    span.setAttributes(processAttributes(queue, message, this.peer));
    const traced = {
      ...message,
      properties: { ...message.properties, headers: { ...headers, ...headersNaming(span, parent) } },
    };
    return endedWith(span, async () => {
      const outcome = await handler(traced);
      span.setAttribute('orderbridge.settlement', outcome);
      return outcome;
    });
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Resolves when the broker confirmed the message; rejects when it was nacked, unroutable or the
   * channel is gone. The message carries the trace context of `options.headers` (a delivery's,
   * passed on) or, given no headers, the active one (an HTTP request's); with tracing on, a recorded
   * publish span in that trace becomes the parent instead.
   */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish & { messageId: string },
  ): Promise<void> {
    // With tracing off the headers given travel as they are: they already hold the trace context to pass on.
    if (!tracingEnabled())
      return this.publishConfirmed(exchange, routingKey, content, { ...options, headers: options.headers ?? {} });
    const given = options.headers;
    const parent = publishParent(given);
    const span = parent && startRecordedSpan(publishSpanName(exchange, routingKey), SpanKind.PRODUCER, parent);
    if (!span)
      return this.publishConfirmed(exchange, routingKey, content, { ...options, headers: given ?? traceHeaders() });
    span.setAttributes(publishAttributes(exchange, routingKey, options.messageId, this.peer));
    return endedWith(span, () =>
      this.publishConfirmed(exchange, routingKey, content, {
        ...options,
        headers: { ...given, ...headersNaming(span, parent) },
      }),
    );
  }

  private publishConfirmed(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish & { messageId: string },
  ): Promise<void> {
    const counted = (outcome: 'confirmed' | 'unroutable' | 'nacked' | 'not_connected' | 'unencodable') =>
      this.options.metrics?.messagesPublished.inc({ exchange, outcome });
    const channel = this.publisher;
    if (!channel || !this.connected) {
      counted('not_connected');
      return Promise.reject(new NotPublishedError('not connected to RabbitMQ'));
    }
    return new Promise((resolve, reject) => {
      const fail = (outcome: 'unroutable' | 'nacked' | 'not_connected', reason: string) => {
        counted(outcome);
        reject(new NotPublishedError(reason));
      };
      try {
        channel.publish(
          exchange,
          routingKey,
          content,
          { persistent: true, mandatory: true, contentType: 'application/json', ...options },
          (error) => {
            // The broker sends basic.return before the confirm of the same message.
            if (this.returned.delete(options.messageId))
              fail('unroutable', `unroutable: no queue bound to ${exchange} for ${routingKey}`);
            else if (error) fail('nacked', error instanceof Error ? error.message : 'nacked by the broker');
            else {
              counted('confirmed');
              resolve();
            }
          },
        );
      } catch (error) {
        if (!(error instanceof RangeError || error instanceof TypeError)) fail('not_connected', errorMessage(error));
        else {
          // amqplib could not encode it (properties over 64 KiB, a value AMQP has no type for): the
          // message's fault, so the caller dead-letters it instead of waiting for the broker.
          counted('unencodable');
          reject(
            new Error(`RabbitMQ cannot carry this message: ${errorMessage(error)} (headers or properties too large?)`),
          );
        }
      }
    });
  }

  /** Stops consuming, lets in-flight messages finish (up to `graceMs`), then closes. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    for (const consumer of this.consumers) {
      if (consumer.channel && consumer.tag) await consumer.channel.cancel(consumer.tag).catch(() => undefined);
    }
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
    // A channel's close-ok comes after the broker has taken every frame sent on it before: the acks
    // of the drained messages. Closing only the connection can lose them, and the broker would
    // redeliver what was done.
    for (const consumer of this.consumers) {
      consumer.acks?.flushUnlessGone();
      await consumer.channel?.close().catch(() => undefined);
    }
    await this.connection.close();
    this.connected = false;
    this.node = undefined;
  }
}
