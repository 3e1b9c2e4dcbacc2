import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { ThreadCalls } from '../../shared/thread-calls.js';
import type { NeedsActionRows } from '../decide-needs-action.js';
import type { ReportRows } from '../report-rows.js';

export interface ReportRequest {
  id: number;
  kind: 'reportRows' | 'needsActionRows';
  /** from, to (epoch ms) and, for reportRows, unconfirmedBefore. */
  args: [number, number, number?];
}

export type ReportThreadMessage =
  | { id: number; kind: 'between' }
  | { id: number; kind: 'done'; value: ReportRows | NeedsActionRows }
  | { id: number; kind: 'failed'; message: string };

interface Call {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  between?: () => Promise<void>;
}

// report-worker.ts beside this module, as it runs: compiled (dist) or loaded as TypeScript (tests).
const workerUrl = new URL(`./report-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The report's reads of a gateway's ledger file, answered by a worker thread on a read-only
 * connection of its own (WAL: it reads what is committed while the gateway writes), so a report
 * over a big ledger never holds the gateway's event loop. Started at the first report; it keeps the
 * process alive only while a report reads. `between` still paces the report: the worker waits for
 * it after each query, so the report takes the CPU share the caller allows.
 */
export class ReportThread {
  private readonly calls: ThreadCalls<Call, ReportThreadMessage>;

  constructor(path: string) {
    this.calls = new ThreadCalls(
      { url: workerUrl, options: { workerData: { path } }, name: "the ledger's report thread" },
      (message, worker) => this.answer(worker, message),
    );
  }

  reportRows(from: number, to: number, unconfirmedBefore: number, between?: () => Promise<void>): Promise<ReportRows> {
    return this.call({ kind: 'reportRows', args: [from, to, unconfirmedBefore] }, between);
  }

  needsActionRows(from: number, to: number): Promise<NeedsActionRows> {
    return this.call({ kind: 'needsActionRows', args: [from, to] });
  }

  close(): Promise<void> {
    return this.calls.close();
  }

  private call<T>(request: Omit<ReportRequest, 'id'>, between?: () => Promise<void>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.calls.call(
        { resolve: resolve as (value: never) => void, reject, ...(between ? { between } : {}) },
        (id) => ({ id, ...request }) satisfies ReportRequest,
      ),
    );
  }

  private answer(worker: Worker, message: ReportThreadMessage): void {
    if (message.kind === 'between') {
      const call = this.calls.waiting(message.id);
      if (!call) return;
      const resume = () => worker.postMessage({ id: message.id, kind: 'resume' });
      void (call.between ? call.between().then(resume, resume) : resume());
      return;
    }
    const call = this.calls.settled(message.id);
    if (!call) return;
    if (message.kind === 'done') call.resolve(message.value as never);
    else call.reject(new Error(message.message));
  }
}
