// The IPC messages between bench/pipeline/main.ts (the parent) and bench/pipeline/sut.ts (the system under test).

export type SutMode = 'raw' | 'gateway';

/** Parent → child. */
export type ToSut = { kind: 'go' } | { kind: 'stats' } | { kind: 'stop' };

/** What the child measured about itself between `go` and a `stats` request. */
export interface SutStats {
  /** Wall time since `go`, in ms. */
  elapsedMs: number;
  /** CPU time (user + system) of the child since `go`, in ms. */
  cpuMs: number;
  /** Share of the wall time the child's event loop was busy (0..1). */
  eventLoopUtilization: number;
  /** Gateway only: the ledger's group commits since start (each one an fsync). */
  commits?: { batches: number; units: number };
  /** Gateway with --diagnose only: time spent inside group-commit flushes. */
  flush?: { totalMs: number; unitsMs: number; maxMs: number };
}

/** Child → parent. */
export type FromSut =
  | { kind: 'ready' }
  | { kind: 'stats'; stats: SutStats }
  | { kind: 'stopped' }
  | { kind: 'failed'; error: string };
