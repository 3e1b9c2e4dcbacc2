import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
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
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly calls = new Map<number, Call>();

  constructor(private readonly path: string) {}

  reportRows(from: number, to: number, unconfirmedBefore: number, between?: () => Promise<void>): Promise<ReportRows> {
    return this.call({ kind: 'reportRows', args: [from, to, unconfirmedBefore] }, between);
  }

  needsActionRows(from: number, to: number): Promise<NeedsActionRows> {
    return this.call({ kind: 'needsActionRows', args: [from, to] });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private call<T>(request: Omit<ReportRequest, 'id'>, between?: () => Promise<void>): Promise<T> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (value: never) => void, reject, ...(between ? { between } : {}) });
      worker.ref();
      worker.postMessage({ id, ...request } satisfies ReportRequest);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerUrl, { workerData: { path: this.path } });
    worker.on('message', (message: ReportThreadMessage) => this.answer(worker, message));
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const call of this.calls.values()) call.reject(error);
      this.calls.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the ledger's report thread stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  private answer(worker: Worker, message: ReportThreadMessage): void {
    const call = this.calls.get(message.id);
    if (!call) return;
    if (message.kind === 'between') {
      const resume = () => worker.postMessage({ id: message.id, kind: 'resume' });
      void (call.between ? call.between().then(resume, resume) : resume());
      return;
    }
    this.calls.delete(message.id);
    if (this.calls.size === 0) worker.unref();
    if (message.kind === 'done') call.resolve(message.value as never);
    else call.reject(new Error(message.message));
  }
}
