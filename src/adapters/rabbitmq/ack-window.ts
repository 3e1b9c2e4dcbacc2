/** What AckWindow needs of a channel: amqplib's Channel has both. */
export interface AckChannel {
  ack(message: { fields: { deliveryTag: number } }, allUpTo?: boolean): void;
}

/**
 * Acknowledges one channel's deliveries in as few frames as it can. A quorum queue settles each
 * basic.ack as a command of its Raft log; one ack with `multiple` settles every delivery up to its
 * tag at once. So an ack waits until the end of the tick, and then goes out as one `multiple` ack
 * for every delivery up to the first one still being handled. A delivery acknowledged beyond that
 * one is acked on its own then, so a slow message never holds the others (nor the prefetch window).
 *
 * Delivery tags on a channel count up in delivery order: each delivery is `received` before it is
 * settled, and every delivery received is settled once, by `ack` here or by the caller's own nack
 * (`settledElsewhere`).
 */
export class AckWindow {
  /** Tags received and not yet settled, oldest first (a Set keeps the order they were added in). */
  private readonly handling = new Set<number>();
  /** Tags settled `ack` whose frame has not gone out yet. */
  private readonly unsent = new Set<number>();
  private flushQueued = false;

  constructor(private readonly channel: AckChannel) {}

  received(deliveryTag: number): void {
    this.handling.add(deliveryTag);
  }

  /** Acknowledged at the end of this tick, with the other deliveries acknowledged by then. */
  ack(deliveryTag: number): void {
    this.handling.delete(deliveryTag);
    this.unsent.add(deliveryTag);
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flushUnlessGone());
  }

  /** `flush`, where a channel that is gone sends nothing and throws nothing. */
  flushUnlessGone(): void {
    try {
      this.flush();
    } catch {
      // The channel died with the connection: the broker redelivers these, and the ledger makes a
      // redelivery finish the work instead of doing it twice.
    }
  }

  /** The caller settled this delivery itself (a nack). */
  settledElsewhere(deliveryTag: number): void {
    this.handling.delete(deliveryTag);
  }

  /** Sends what is acknowledged and not yet sent; throws what the channel throws (it is gone). */
  flush(): void {
    this.flushQueued = false;
    if (this.unsent.size === 0) return;
    // Every delivery before the oldest one still handled is settled: acknowledged now or before, or nacked.
    const firstHandled = this.handling.values().next().value ?? Number.POSITIVE_INFINITY;
    // The `multiple` ack names a delivery the broker still holds unacknowledged: the newest of those
    // it covers (RabbitMQ refuses a tag it does not know, and closes the channel).
    let upTo = 0;
    const beyond: number[] = [];
    for (const tag of this.unsent) {
      if (tag > firstHandled) beyond.push(tag);
      else if (tag > upTo) upTo = tag;
    }
    this.unsent.clear();
    if (upTo > 0) this.channel.ack({ fields: { deliveryTag: upTo } }, true);
    for (const tag of beyond) this.channel.ack({ fields: { deliveryTag: tag } }, false);
  }
}
