import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { Config } from '../../config/index.js';
import { errorMessage } from '../../shared/error-message.js';
import { ThreadCalls } from '../../shared/thread-calls.js';
import type { LedgerTarget, OpsLedger } from '../../ledger/index.js';
import type { MesOrderAnswer, MesOrderReader } from './produce-report.js';
import type { ReportFormat } from './report-page.js';
import type { Lang } from './texts.js';

export interface PageRequest {
  from: number;
  to: number;
  now: number;
  lang: Lang;
  format: ReportFormat;
  maxLookups: number;
}

/** What the gateway sends its page thread. */
export type ToPageThread =
  | ({ kind: 'render'; id: number } & PageRequest)
  | { kind: 'mesAnswer'; id: number; answer: MesOrderAnswer }
  | { kind: 'mesFailed'; id: number; message: string };

/** What the page thread sends the gateway. */
export type FromPageThread =
  | { kind: 'page'; id: number; body: Uint8Array }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'readOrder'; id: number; orderId: string }
  | { kind: 'recordAnswer'; orderId: string; detail: Record<string, unknown>; now: number };

export interface PageThreadData {
  config: Config;
  target: LedgerTarget;
  asksMes: boolean;
}

export interface PageThreadPorts {
  config: Config;
  /** The gateway's own ledger: the thread opens it again, read-only, at this target. */
  target: LedgerTarget;
  /** The MES read proxy (breaker, cache, budget) stays in the gateway: the thread asks through it. */
  mes?: MesOrderReader;
  /** Notes an MES answer in the order's journal, through the gateway's writable ledger. */
  ledger: Pick<OpsLedger, 'recordReconciliation'>;
}

// page-worker.ts beside this module, as it runs: compiled (dist) or loaded as TypeScript (tests).
const workerUrl = new URL(`./page-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Renders report pages (ledger reads, assembly, timelines and the encoded page) on a worker thread,
 * so that the only work a report leaves on the gateway's event loop is answering the thread's MES
 * look-ups and writing the finished bytes. Started at the first report; it keeps the process alive
 * only while a report renders.
 */
export class ReportPageThread {
  private readonly calls: ThreadCalls<
    { resolve: (page: Uint8Array) => void; reject: (error: Error) => void },
    FromPageThread
  >;

  constructor(private readonly ports: PageThreadPorts) {
    const { config, target, mes } = ports;
    const workerData: PageThreadData = { config, target, asksMes: mes !== undefined };
    this.calls = new ThreadCalls(
      { url: workerUrl, options: { workerData }, name: 'the report page thread' },
      (message, worker) => this.answer(worker, message),
    );
  }

  render(request: PageRequest): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) =>
      this.calls.call({ resolve, reject }, (id) => ({ kind: 'render', id, ...request }) satisfies ToPageThread),
    );
  }

  close(): Promise<void> {
    return this.calls.close();
  }

  private answer(worker: Worker, message: FromPageThread): void {
    const send = (reply: ToPageThread) => worker.postMessage(reply);
    switch (message.kind) {
      case 'readOrder':
        void this.ports.mes!.readOrder(message.orderId).then(
          ({ status, body, unanswered }) =>
            send({
              kind: 'mesAnswer',
              id: message.id,
              answer: { status, body, ...(unanswered ? { unanswered } : {}) },
            }),
          (error: unknown) => send({ kind: 'mesFailed', id: message.id, message: errorMessage(error) }),
        );
        return;
      case 'recordAnswer':
        void this.ports.ledger
          .recordReconciliation(message.orderId, message.detail, message.now)
          .catch(() => undefined);
        return;
      case 'page':
      case 'failed': {
        const page = this.calls.settled(message.id);
        if (!page) return;
        if (message.kind === 'page') page.resolve(message.body);
        else page.reject(new Error(message.message));
        return;
      }
      default: {
        const unknown: never = message;
        throw new Error(`unknown message from the page thread: ${JSON.stringify(unknown)}`);
      }
    }
  }
}
