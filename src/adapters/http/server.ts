import { getRequestListener, RequestError } from '@hono/node-server';
import type { Hono } from 'hono';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerUnsupportedExpectation, clientErrorAnswerer, refuseConnect } from './client-errors.js';
import { HttpProblem, InternalError, problemResponse } from './problems.js';
import { defaultHttpServerLimits, type HttpServerLimits } from './server-limits.js';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on host:port (port 0 picks a free one) and resolves once listening. Slow clients are
 * cut off by the timeouts, a flood by the connection cap; protocol errors get problem+json.
 */
export function startHttpServer(
  app: Hono,
  host: string,
  port: number,
  limits: HttpServerLimits = defaultHttpServerLimits,
): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        // Node checks both timeouts only this often (30 s by default), so a 10 s headersTimeout
        // held a slow client for up to 40 s; the check walks the open connections, which is cheap.
        connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
      },
      getRequestListener(app.fetch, { hostname: host, errorHandler: unreadableRequest }),
    );
    // Beyond the cap Node closes a new connection at once, before reading from it.
    server.maxConnections = limits.maxConnections;
    server.on('clientError', clientErrorAnswerer(limits));
    server.on('checkExpectation', answerUnsupportedExpectation);
    server.on('connect', refuseConnect);
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * A request Hono never sees: its target is no path (`OPTIONS *`, an absolute URL), its Host header
 * is not one, or its path holds a backslash. Answered as problem+json (the adapter's own is a bare 400).
 */
function unreadableRequest(error: unknown): Response {
  if (!(error instanceof RequestError)) return problemResponse(new InternalError(undefined));
  return problemResponse(
    new HttpProblem(
      400,
      'malformed-request',
      'Malformed request',
      `${error.message}: send a path such as /v1/orders with a valid Host.`,
    ),
  );
}
