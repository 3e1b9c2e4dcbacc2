import type { Clock } from '../shared/clock.js';

const perRecentRequestMs = 2;
const maxLatencyMs = 2000;
const windowMs = 1000;

/**
 * How the MES API behaves: a base latency that grows with the request rate (the loaded MES
 * database the read proxy protects) and a switch that takes the API down.
 */
export class ApiBehaviour {
  down = false;
  private readonly recent: number[] = [];
  private head = 0;

  constructor(
    private readonly clock: Clock,
    public baseLatencyMs: number,
  ) {}

  /** Counts one request and returns how long it takes to answer. */
  admit(): number {
    const now = this.clock.now();
    while (this.head < this.recent.length && this.recent[this.head]! <= now - windowMs) this.head += 1;
    if (this.head > 1024) {
      this.recent.splice(0, this.head);
      this.head = 0;
    }
    const inLastSecond = this.recent.length - this.head;
    this.recent.push(now);
    return Math.min(maxLatencyMs, this.baseLatencyMs + perRecentRequestMs * inLastSecond);
  }

  describe() {
    return { apiLatencyMs: this.baseLatencyMs, apiDown: this.down };
  }
}
