// The report page thread (page-thread.ts): a report over a big ledger reads, assembles and renders
// for seconds; here none of it holds the gateway's event loop, or the partner requests behind it.
import { errorMessage } from '../../shared/error-message.js';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ledgerPolicy, openLedger } from '../../ledger/index.js';
import type { FromPageThread, PageThreadData, ToPageThread } from './page-thread.js';
import {
  produceReport,
  reportCpuShare,
  reportNiceness,
  type MesOrderReader,
  type ReportLedger,
} from './produce-report.js';
import { reportPage } from './report-page.js';

const port = parentPort!;
const { config, target, asksMes } = workerData as PageThreadData;
const send = (message: FromPageThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// On Linux a priority set with pid 0 is the calling thread's: the gateway's own thread keeps its own.
try {
  setPriority(reportNiceness);
} catch {
  // Not allowed here (some containers): run at the normal priority.
}

const reader = openLedger(target, { policy: ledgerPolicy(config), access: 'read' });
const ledger: Promise<ReportLedger> = reader.then((opened) => ({
  reportRows: (from, to, unconfirmedBefore, between) => opened.reportRows(from, to, unconfirmedBefore, between),
  needsActionRows: (from, to) => opened.needsActionRows(from, to),
  timeline: (orderId) => opened.timeline(orderId),
  // The reader cannot write: the gateway notes the MES's answers in its own ledger.
  recordReconciliation: async (orderId, detail, now) => send({ kind: 'recordAnswer', orderId, detail, now }),
}));

const lookups = new Map<
  number,
  { resolve: (answer: { status: number; body: Uint8Array }) => void; reject: (error: Error) => void }
>();
let nextLookup = 0;
const mes: MesOrderReader = {
  readOrder: (orderId) =>
    new Promise((resolve, reject) => {
      const id = nextLookup++;
      lookups.set(id, { resolve, reject });
      send({ kind: 'readOrder', id, orderId });
    }),
};

port.on('message', (message: ToPageThread) => {
  if (message.kind === 'render') {
    void render(message);
    return;
  }
  const lookup = lookups.get(message.id);
  lookups.delete(message.id);
  if (message.kind === 'mesAnswer') lookup?.resolve(message.answer);
  else lookup?.reject(new Error(message.message));
});

async function render({ id, from, to, now, lang, format, maxLookups }: Extract<ToPageThread, { kind: 'render' }>) {
  try {
    const produced = await produceReport({
      config,
      ledger: await ledger,
      from,
      to,
      now,
      lang,
      ...(asksMes ? { mes } : {}),
      maxLookups,
      cpuShare: reportCpuShare,
    });
    const body = reportPage(produced, format, lang);
    send({ kind: 'page', id, body }, [body.buffer as ArrayBuffer]);
  } catch (error) {
    send({ kind: 'failed', id, message: errorMessage(error) });
  }
}
