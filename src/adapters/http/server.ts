import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import { clientErrorAnswerer } from './client-errors.js';
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
    let server: ServerType;
    try {
      server = serve(
        {
          fetch: app.fetch,
          hostname: host,
          port,
          serverOptions: {
            maxHeaderSize: limits.maxHeaderBytes,
            headersTimeout: limits.headersTimeoutMs,
            requestTimeout: limits.requestTimeoutMs,
            keepAliveTimeout: limits.keepAliveTimeoutMs,
            // Node checks both timeouts only this often (30 s by default), so a 10 s headersTimeout
            // held a slow client for up to 40 s; the check walks the open connections, which is cheap.
            connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
          },
        },
        (info) => {
          resolve({
            port: info.port,
            close: () =>
              new Promise<void>((done) => {
                if ('closeAllConnections' in server) server.closeAllConnections();
                server.close(() => done());
              }),
          });
        },
      );
      // Beyond the cap Node closes a new connection at once, before reading from it.
      server.maxConnections = limits.maxConnections;
      (server as Server).on('clientError', clientErrorAnswerer(limits));
      server.once('error', reject);
    } catch (error) {
      reject(error);
    }
  });
}
