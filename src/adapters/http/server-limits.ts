import { durationMs } from '../../config/duration.js';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';

/** What one HTTP listener allows a client: header size, how long it may take, how many connect at once. */
export interface HttpServerLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The defaults of config/gateway.yaml's http section; Node's own (60 s for headers, 300 s per request, no cap) let slow clients hold sockets for minutes. */
export const defaultHttpServerLimits: HttpServerLimits = {
  maxHeaderBytes: 16_384,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
};

/** The limits the `http` section of the config sets, defaults for the rest. */
export function httpServerLimits(http: GatewayConfig['http']): HttpServerLimits {
  const defaults = defaultHttpServerLimits;
  const limits = {
    maxHeaderBytes: http.maxHeaderBytes ?? defaults.maxHeaderBytes,
    headersTimeoutMs: http.headersTimeout === undefined ? defaults.headersTimeoutMs : durationMs(http.headersTimeout),
    requestTimeoutMs: http.requestTimeout === undefined ? defaults.requestTimeoutMs : durationMs(http.requestTimeout),
    keepAliveTimeoutMs:
      http.keepAliveTimeout === undefined ? defaults.keepAliveTimeoutMs : durationMs(http.keepAliveTimeout),
    maxConnections: http.maxConnections ?? defaults.maxConnections,
  };
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `http.headersTimeout (${limits.headersTimeoutMs} ms) exceeds http.requestTimeout (${limits.requestTimeoutMs} ms): make requestTimeout at least headersTimeout`,
    );
  }
  return limits;
}
