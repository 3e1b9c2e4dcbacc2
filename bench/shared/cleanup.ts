// Everything a run leaves behind (vhosts, temp files, processes), removed even when it fails or is interrupted.
import { killAllChildren } from './children.js';

export interface Cleanup {
  /** Registers a synchronous undo step; the returned function runs it now, once, and forgets it. */
  add(step: () => void): () => void;
  /** Kills every child process, then runs every remaining step, newest first. */
  runAll(): void;
}

/** A Cleanup that runs when the process exits, also on SIGINT or SIGTERM (which exit 130). */
export function cleanupOnExit(log: (line: string) => void): Cleanup {
  const cleanup = createCleanup(log);
  process.on('exit', () => cleanup.runAll());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  return cleanup;
}

export function createCleanup(log: (line: string) => void): Cleanup {
  const steps = new Set<() => void>();
  const runOne = (step: () => void) => {
    if (!steps.delete(step)) return;
    try {
      step();
    } catch (error) {
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return {
    add(step) {
      steps.add(step);
      return () => runOne(step);
    },
    runAll() {
      killAllChildren();
      for (const step of [...steps].reverse()) runOne(step);
    },
  };
}
