// The IPC messages between bench/proxy/main.ts (the parent) and bench/proxy/child.ts (one server each).

export interface PartnerSpec {
  id: string;
  apiKeySha256: string;
  /** An operator's key: /ops too (bench/report's partner phase renders reports with it). */
  role?: 'operator';
}

/** What the parent asks a child to run; passed as one JSON argument. */
export type ChildSpec =
  /** The gateway exactly as `orderbridge serve` starts it (startGateway), with these fields replaced. */
  | { role: 'gateway'; amqpUrl: string; ledgerPath: string; mesUrl: string; partners: PartnerSpec[] }
  /** A bare Hono app on @hono/node-server answering GET /v1/orders/:id from a Map built from this ledger. */
  | { role: 'bare'; ledgerPath: string; partnerIds: string[] }
  /** The reference MES simulator, its API requests counted. */
  | { role: 'mes'; amqpUrl: string; queue: string; exchange: string; port: number; stepMs: number; seed: number };

export interface ChildStats {
  /** CPU time (user + system) of the child since it started, in ms. */
  cpuMs: number;
  /**
   * Since the previous stats request: how late the event loop ran a 1 ms timer (p99 and max, ms,
   * beyond the 1 ms it was set for), the share of time the loop was busy, and the full GCs (their
   * number and the longest one's pause, ms).
   */
  eventLoop: { p99Ms: number; maxMs: number; utilization: number; fullGcs: { count: number; maxMs: number } };
  /** MES only: requests its HTTP API received, by route ('/orders', '/stats', …). */
  apiRequests?: Record<string, number>;
}

/** Parent → child. A profile is the V8 CPU profile of the child's main thread between start and stop. */
export type ToChild =
  | { kind: 'stats' }
  | { kind: 'stop' }
  | { kind: 'profile-start' }
  | { kind: 'profile-stop'; file: string };

/** Child → parent. */
export type FromChild =
  | { kind: 'ready'; port: number }
  | { kind: 'stats'; stats: ChildStats }
  | { kind: 'stopped' }
  | { kind: 'profiled'; file: string }
  | { kind: 'failed'; error: string };
