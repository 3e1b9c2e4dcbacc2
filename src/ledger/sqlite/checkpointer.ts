import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

export interface CheckpointerOptions {
  /** How often the log is copied into the database file (ms). */
  everyMs?: number;
  /** Past this many frames (pages) in the log, the gateway holds its next commit until the copy has caught up. */
  writerPauseAboveFrames?: number;
  /** The thread starts once the log is this big: a small ledger (a test's, a CLI's) never needs it. */
  startAboveBytes?: number;
}

/** From the checkpoint thread to the gateway. */
export type CheckpointMessage =
  | { kind: 'pause-writer' }
  | { kind: 'resume-writer' }
  | { kind: 'failed'; message: string };
/** From the gateway to the checkpoint thread. */
export type GatewayMessage = { kind: 'paused' } | { kind: 'stop' };

/** The commits a pause holds: the group commit's. */
export interface HeldWrites {
  holdUntil(released: Promise<void>): void;
}

const defaults: Required<CheckpointerOptions> = {
  everyMs: 100,
  // 64 MiB of 4 KiB pages.
  writerPauseAboveFrames: 16_384,
  // SQLite's own threshold (1,000 pages of 4 KiB).
  startAboveBytes: 4_096_000,
};

/** SQLite's own default: a checkpoint inside the COMMIT that takes the log past 1,000 pages. */
const inCommitCheckpointPages = 1000;
/** How many commits go by between two looks at the log's size before the thread runs. */
const commitsBetweenLooks = 16;

// checkpoint-worker.ts beside this module, as it runs: compiled (dist) or loaded as TypeScript (tests).
const workerUrl = new URL(`./checkpoint-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Checkpoints of a gateway's ledger file on a thread of its own: the writer's connection never
 * checkpoints (SQLite would copy the log back into the database file and fsync it inside a COMMIT,
 * on the event loop: a fifth to a third of the loop's time per command, bench/RESULTS.md). The thread starts
 * when the log first outgrows SQLite's own threshold, so a small ledger (a test's, a CLI's) costs
 * none. If it fails, the writer checkpoints in its commits again, as SQLite does by default.
 */
export class Checkpointer {
  private worker?: Worker;
  private release?: () => void;
  private stopped = false;
  private commitsSinceLook = 0;
  private readonly options: Required<CheckpointerOptions>;

  constructor(
    private readonly db: Database,
    private readonly writes: HeldWrites,
    options: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    this.options = { ...defaults, ...options };
  }

  /** After each commit: starts the thread once the log has grown past SQLite's own threshold. */
  committed(): void {
    if (this.worker || this.stopped || ++this.commitsSinceLook < commitsBetweenLooks) return;
    this.commitsSinceLook = 0;
    const logBytes = statSync(`${this.db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    if (logBytes > this.options.startAboveBytes) this.start();
  }

  private start(): void {
    const worker = new Worker(workerUrl, { workerData: { path: this.db.name, ...this.options } });
    worker.unref();
    worker.on('message', (message: CheckpointMessage) => this.heard(worker, message));
    worker.on('error', (error) => this.checkpointInCommits(error.message));
    worker.on('exit', (code) => this.checkpointInCommits(`it stopped (exit ${code})`));
    this.worker = worker;
  }

  /** Stops the thread; the writer's connection, the last to close, checkpoints what is left. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Unreferenced, the thread would not keep this process alive until it has stopped.
    worker.ref();
    worker.postMessage({ kind: 'stop' } satisfies GatewayMessage);
    await exited;
  }

  private heard(worker: Worker, message: CheckpointMessage): void {
    if (message.kind === 'pause-writer') {
      // Between two group commits no transaction is open: the writer is paused from here on.
      this.writes.holdUntil(new Promise<void>((resolve) => (this.release = resolve)));
      worker.postMessage({ kind: 'paused' } satisfies GatewayMessage);
    } else if (message.kind === 'resume-writer') {
      this.resumeWriter();
    } else {
      this.checkpointInCommits(message.message);
      void worker.terminate();
    }
  }

  private resumeWriter(): void {
    this.release?.();
    this.release = undefined;
  }

  private checkpointInCommits(why: string): void {
    this.resumeWriter();
    if (this.stopped) return;
    this.stopped = true;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${inCommitCheckpointPages}`);
    process.emitWarning(
      `The ledger's checkpoint thread failed (${why}): the gateway checkpoints in its commits again.`,
    );
  }
}
