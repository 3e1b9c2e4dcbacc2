import { isInfrastructureFault, type AppDeps, type OrderEvidence } from './ports.js';
import { publishOut } from './publish-out.js';
import { startPeriodicTask, type PeriodicTask } from '../shared/periodic-task.js';

export interface WatchdogOptions {
  intervalMs: number;
  maxAttempts: number;
  evidence?: OrderEvidence;
  /** Order events still unconfirmed after this long are sent again by the sweep. */
  republishAfterMs?: number;
  batch?: number;
  /**
   * MES events waiting in their queue for a consumer (none: every one published so far is being
   * handled). While the gateways are behind, an acknowledgement or a status change may be waiting
   * there: deadlines are judged as of when the queue was last seen empty, never more than
   * `maxBehindMs` before now (so that a gateway behind for good still raises its alarms).
   */
  mesBacklog?: () => Promise<number>;
  maxBehindMs?: number;
}

/**
 * One timer loop, driven by the ledger (not one timer per order): overdue acknowledgements are
 * re-forwarded and finally flagged lost, orders past their status deadline are flagged stuck, and
 * order events the broker never confirmed are sent again. Ticks never overlap.
 */
export class Watchdog {
  private loop?: PeriodicTask;
  private outageSince?: number;
  /** When the MES event queue was last seen with nothing waiting for a consumer. */
  private caughtUpAt = 0;
  ticks = 0;

  constructor(
    private readonly deps: AppDeps,
    private readonly options: WatchdogOptions,
  ) {}

  start(): void {
    const tickAndSayResumed = async () => {
      await this.tick();
      this.outageEnded();
    };
    this.loop = startPeriodicTask(tickAndSayResumed, {
      intervalMs: this.options.intervalMs,
      onError: (error) => this.tickFailed(error),
    });
  }

  /** An unavailable broker or ledger fails every tick until it is back: said once, not once a second. */
  private tickFailed(error: unknown): void {
    if (!isInfrastructureFault(error)) {
      this.deps.logger.error({ err: error }, 'watchdog tick failed');
      return;
    }
    if (this.outageSince !== undefined) return;
    this.outageSince = Date.now();
    this.deps.logger.warn({ err: error }, 'watchdog paused: broker or ledger unavailable; retrying every tick');
  }

  private outageEnded(): void {
    if (this.outageSince === undefined) return;
    this.deps.logger.info({ outageMs: Date.now() - this.outageSince }, 'watchdog resumed');
    this.outageSince = undefined;
  }

  async tick(): Promise<void> {
    this.ticks++;
    const { ledger, clock } = this.deps;
    const batch = this.options.batch ?? 500;
    const judgedAt = await this.judgedAt(clock());
    const overdue = await ledger.overdueCommands(judgedAt, batch);
    await Promise.all(
      overdue.map(async (due) => {
        const lastChance = due.attempts >= this.options.maxAttempts;
        const known =
          lastChance && this.options.evidence ? await this.options.evidence.knowsOrder(due.orderId) : undefined;
        await publishOut(this.deps, await ledger.resolveOverdueCommand(due.rowId, clock(), known));
      }),
    );
    await publishOut(this.deps, await ledger.flagStuckOrders(clock(), batch, judgedAt));
    const now = clock();
    await publishOut(this.deps, await ledger.unpublished(now - (this.options.republishAfterMs ?? 5000), batch, now));
  }

  /**
   * The time deadlines are judged at: now, unless MES events wait in their queue; then the last time
   * it was seen empty, at most `maxBehindMs` before now. (What the consumers' prefetch held then is
   * handled within moments, as at any deadline.)
   */
  private async judgedAt(now: number): Promise<number> {
    const { mesBacklog, maxBehindMs = Number.POSITIVE_INFINITY } = this.options;
    if (!mesBacklog) return now;
    if ((await mesBacklog()) === 0) this.caughtUpAt = now;
    return Math.max(this.caughtUpAt, now - maxBehindMs);
  }

  /** Stops the timer and waits for the tick in progress. */
  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
