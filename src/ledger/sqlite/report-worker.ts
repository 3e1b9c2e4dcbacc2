// The report's reads of a gateway's SQLite ledger, on a thread of their own (report-thread.ts):
// better-sqlite3 answers synchronously, and a report's queries over a big ledger would otherwise
// hold the gateway's event loop, and every partner request behind it, for as long as each runs.
import { errorMessage } from '../../shared/error-message.js';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { readNeedsActionRows } from './needs-action.js';
import { readReportRows } from './report.js';
import type { ReportRequest, ReportThreadMessage } from './report-thread.js';

const port = parentPort!;
const db = new Database((workerData as { path: string }).path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
/** Requests paused between two queries, until the gateway's pacer lets them go on. */
const paused = new Map<number, () => void>();

const send = (message: ReportThreadMessage) => port.postMessage(message);

port.on('message', (message: ReportRequest | { id: number; kind: 'resume' }) => {
  if (message.kind === 'resume') {
    paused.get(message.id)?.();
    paused.delete(message.id);
    return;
  }
  void serve(message);
});

async function serve({ id, kind, args }: ReportRequest): Promise<void> {
  const between = () =>
    new Promise<void>((resume) => {
      paused.set(id, resume);
      send({ id, kind: 'between' });
    });
  try {
    const [from, to, unconfirmedBefore = to] = args;
    const value =
      kind === 'reportRows'
        ? await readReportRows(db, from, to, unconfirmedBefore, between)
        : readNeedsActionRows(db, from, to);
    send({ id, kind: 'done', value });
  } catch (error) {
    send({ id, kind: 'failed', message: errorMessage(error) });
  }
}
