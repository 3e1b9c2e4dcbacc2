import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and resolves once listening. */
export function startHttpServer(app: Hono, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
        resolve({
          port: info.port,
          close: () => new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
        });
      });
      server.once('error', reject);
    } catch (error) {
      reject(error);
    }
  });
}
