import type { Test } from 'tap';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackAnswer {
  status: number;
  body?: string;
}

/**
 * A loopback HTTP server standing in for the MES API or a partner's webhook receiver: each request's
 * body is read whole and handed to `handle`, whose answer goes back as JSON. Closed at teardown.
 * Resolves to its base URL.
 */
export async function listenLoopback(
  t: Test,
  handle: (req: IncomingMessage, body: string) => LoopbackAnswer,
): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = handle(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface WebhookPost {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A partner's webhook receiver on loopback: keeps every POST with the status it answered, which
 * `statusOf` picks from the POSTs so far (204 to every one by default).
 */
export async function webhookReceiver(t: Test, statusOf: (earlier: WebhookPost[]) => number = () => 204) {
  const posts: WebhookPost[] = [];
  const base = await listenLoopback(t, (req, body) => {
    const status = statusOf(posts);
    posts.push({ headers: req.headers, body, status });
    return { status };
  });
  return { posts, url: `${base}/hooks/orders` };
}
