// Checkpoints of a gateway's SQLite ledger, on a thread of their own (checkpointer.ts): copying the
// write-ahead log back into the database file and fsyncing it would otherwise run inside a group
// commit's COMMIT, on the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage } from '../../shared/error-message.js';
import type { CheckpointerOptions, CheckpointMessage, GatewayMessage } from './checkpointer.js';

const port = parentPort!;
const { path, everyMs, writerPauseAboveFrames } = workerData as { path: string } & Required<CheckpointerOptions>;
// The default busy timeout (0): a PASSIVE checkpoint never waits for the gateway's writer anyway.
const db = new Database(path, { fileMustExist: true });

/** The columns of `PRAGMA wal_checkpoint` this thread reads. */
interface CheckpointResult {
  /** Frames in the log; -1 when the database is not in WAL mode. */
  log: number;
  /** Frames of it already copied into the database file. */
  checkpointed: number;
}

let timer: NodeJS.Timeout | undefined;
let stopped = false;
/** Set while the gateway is asked to hold its writes: resumes the checkpoint once it does. */
let writerPaused: (() => void) | undefined;
/** After a pause that could not copy the whole log (a reader's snapshot still needs it), none for a while. */
let noPauseUntil = 0;
const send = (message: CheckpointMessage) => port.postMessage(message);

port.on('message', (message: GatewayMessage) => {
  if (message.kind === 'stop') {
    stopped = true;
    clearTimeout(timer);
  }
  if (writerPaused) writerPaused();
  else if (stopped) finish();
});

function finish(): void {
  db.close();
  // Ends this thread only; its port alone would not (a loader's port may hold it).
  process.exit(0);
}

const passive = () => (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0]!;

/**
 * Copies what the log holds, again and again. A passive checkpoint copies beside the writer, but the
 * log only starts over from its beginning when a write begins with all of it copied: under steady
 * traffic that moment never comes and the log grows without end. So past `writerPauseAboveFrames`
 * the gateway holds its next group commit (it goes on with everything else meanwhile) while one
 * more pass copies the rest; its next commit then writes at the start of the log again. A reader
 * (a report) keeps the frames its snapshot needs: then the log waits for it, and so do the pauses.
 */
async function checkpoint(): Promise<void> {
  const result = passive();
  if (result.log > writerPauseAboveFrames && Date.now() >= noPauseUntil) {
    await new Promise<void>((resume) => {
      writerPaused = resume;
      send({ kind: 'pause-writer' });
    });
    writerPaused = undefined;
    if (stopped) return finish();
    const { log, checkpointed } = passive();
    send({ kind: 'resume-writer' });
    if (checkpointed < log) noPauseUntil = Date.now() + 10 * everyMs;
  }
  timer = setTimeout(() => void checkpoint().catch(fail), everyMs);
}

/** Tells the gateway, which then checkpoints in its commits again and ends this thread. */
function fail(error: unknown): void {
  db.close();
  send({ kind: 'failed', message: errorMessage(error) });
}

void checkpoint().catch(fail);
