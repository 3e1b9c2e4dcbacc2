import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { connect, type Socket } from 'node:net';
import { Hono } from 'hono';
import { startHttpServer } from '../../src/adapters/http/server.js';
import {
  defaultHttpServerLimits,
  httpServerLimits,
  type HttpServerLimits,
} from '../../src/adapters/http/server-limits.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const validProblem = validatorFor('problem');

async function server(t: Test, limits: Partial<HttpServerLimits> = {}) {
  const app = new Hono();
  app.get('/ping', (c) => c.text('pong'));
  const http = await startHttpServer(app, '127.0.0.1', 0, { ...defaultHttpServerLimits, ...limits });
  t.teardown(() => http.close());
  return http.port;
}

interface Exchange {
  status: number;
  headers: string;
  body: string;
  /** From connecting to the server closing the connection. */
  closedAfterMs: number;
}

/** Opens a socket, writes `request` (nothing more), and collects everything until the server closes it. */
function exchange(port: number, request: string, { timeoutMs = 5000 } = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [headers = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers,
        body,
        closedAfterMs: performance.now() - started,
      });
    });
  });
}

function problemOf(t: Test, answer: Exchange) {
  t.match(answer.headers, /content-type: application\/problem\+json/i, 'problem+json');
  const problem = JSON.parse(answer.body) as { status: number; type: string; detail: string };
  t.ok(validProblem(problem).ok, 'a valid problem document');
  t.equal(problem.status, answer.status, 'the status in the body matches');
  return problem;
}

t.test('oversize headers are a 431 problem, an oversize URL a 414 problem, garbage a 400 problem', async (t) => {
  const port = await server(t, { maxHeaderBytes: 8192 });
  const header = await exchange(port, `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  t.equal(header.status, 431);
  t.match(problemOf(t, header), { type: /request-header-fields-too-large/, detail: /at most 8192 bytes/ });

  const url = await exchange(port, `GET /ping?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.equal(url.status, 414);
  t.match(problemOf(t, url), { type: /uri-too-long/ });

  const garbage = await exchange(port, 'NOT HTTP AT ALL\r\n\r\n');
  t.equal(garbage.status, 400);
  t.match(problemOf(t, garbage), { type: /malformed-request/ });

  const fine = await exchange(
    port,
    `GET /ping HTTP/1.1\r\nHost: x\r\nX-Small: ${'a'.repeat(4000)}\r\nConnection: close\r\n\r\n`,
  );
  t.equal(fine.status, 200, 'headers under the limit pass');
  t.equal(fine.body, 'pong');
});

t.test(
  'a slow client that never finishes its headers is cut off after headersTimeout with a 408 problem',
  async (t) => {
    const port = await server(t, { headersTimeoutMs: 400, requestTimeoutMs: 1000 });
    const slow = await exchange(port, 'GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ', { timeoutMs: 3000 });
    t.ok(
      slow.closedAfterMs >= 350 && slow.closedAfterMs < 1000,
      `closed after ${Math.round(slow.closedAfterMs)} ms (headersTimeout 400 ms)`,
    );
    t.equal(slow.status, 408);
    t.match(problemOf(t, slow), { type: /request-timeout/ });
  },
);

t.test('an idle keep-alive connection is closed after keepAliveTimeout', async (t) => {
  const port = await server(t, { keepAliveTimeoutMs: 300 });
  const idle = await exchange(port, 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 3000 });
  t.equal(idle.status, 200);
  // Node keeps a keep-alive socket 1 s past keepAliveTimeout (its grace for a request already on the way).
  t.ok(
    idle.closedAfterMs >= 250 && idle.closedAfterMs < 2000,
    `closed after ${Math.round(idle.closedAfterMs)} ms (keepAliveTimeout 300 ms)`,
  );
});

t.test('connections beyond maxConnections are closed as they arrive; a freed slot is usable again', async (t) => {
  const port = await server(t, { maxConnections: 2 });
  // Held open after an answer on it: the server has taken the connection, not only the kernel.
  const open = (): Promise<Socket> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', () => resolve(socket));
      socket.on('error', () => undefined);
    });
  const held = [await open(), await open()];
  t.teardown(() => {
    for (const socket of held) socket.destroy();
  });
  const third = await exchange(port, 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2000 });
  t.equal(third.status, 0, 'no answer: closed before it was read');
  t.ok(third.closedAfterMs < 500, `closed at once (${Math.round(third.closedAfterMs)} ms)`);
  held.pop()!.destroy();
  // The server frees the slot when it sees the close: ask until it answers.
  let again: Exchange | undefined;
  await waitFor(
    async () => {
      again = await exchange(port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      return again.status === 200;
    },
    5000,
    'a freed slot',
  ).catch(() => undefined);
  t.equal(again?.status, 200, 'answered once a connection closed');
});

t.test('the http section of the config sets the limits; headersTimeout may not exceed requestTimeout', async (t) => {
  const base = { host: '127.0.0.1', port: 0, bodyLimitBytes: 65536 };
  t.same(httpServerLimits(base), defaultHttpServerLimits, 'defaults when left out');
  t.same(
    httpServerLimits({
      ...base,
      maxHeaderBytes: 4096,
      headersTimeout: '2s',
      requestTimeout: '5s',
      keepAliveTimeout: '1s',
      maxConnections: 10,
    }),
    {
      maxHeaderBytes: 4096,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      keepAliveTimeoutMs: 1000,
      maxConnections: 10,
    },
  );
  t.throws(
    () => httpServerLimits({ ...base, headersTimeout: '40s' }),
    /http.headersTimeout \(40000 ms\) exceeds http.requestTimeout \(30000 ms\)/,
  );
});

t.test(
  'the gateway: its partner port applies config http limits and has no /metrics; the metrics listener has',
  async (t) => {
    const { gateway } = await startTestGateway(t, { gateway: { http: { maxHeaderBytes: 4096 } } });
    const partner = `http://127.0.0.1:${gateway.http.port}`;
    const big = await exchange(
      gateway.http.port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(6000)}\r\n\r\n`,
    );
    t.equal(big.status, 431, 'http.maxHeaderBytes from the config');
    t.match(problemOf(t, big), { detail: /at most 4096 bytes/ });

    const onPartnerPort = await fetch(`${partner}/metrics`);
    t.equal(onPartnerPort.status, 404, 'no /metrics on the partner port');
    t.equal(onPartnerPort.headers.get('content-type'), 'application/problem+json');
    t.not(gateway.metricsHttp.port, gateway.http.port);
    const metrics = await fetch(`http://127.0.0.1:${gateway.metricsHttp.port}/metrics`);
    t.equal(metrics.status, 200);
    t.match(await metrics.text(), /orderbridge_orders/);
    const other = await fetch(`http://127.0.0.1:${gateway.metricsHttp.port}/v1/orders`);
    t.equal(other.status, 404, 'the metrics listener serves nothing else');
    t.match(await other.json(), { type: /no-route/, detail: /GET \/metrics only/ });
  },
);

t.test(
  "a partner that closes the connection mid-body is counted as the client's doing, not a server error",
  async (t) => {
    const key = 'partner-key-abort-0123456789abcdef';
    const logs: string[] = [];
    const { gateway } = await startTestGateway(t, {
      gateway: {
        partners: [{ id: 'alpha', name: 'Alpha', apiKeySha256: createHash('sha256').update(key).digest('hex') }],
      },
      logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(line) }),
    });
    const socket = connect(gateway.http.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
        'Idempotency-Key: abort-1\r\nContent-Length: 1000\r\n\r\n{"ref',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const count = async (status: string) => {
      const text = await (await fetch(`http://127.0.0.1:${gateway.metricsHttp.port}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('orderbridge_http_requests_total') &&
            l.includes('"/v1/orders"') &&
            l.includes(`status="${status}"`),
        );
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    await waitFor(async () => (await count('499')) === 1, 5000, 'the request counted as closed by its client');
    t.equal(await count('500'), 0, 'not as a server error');
    t.notOk(
      logs.some((line) => line.includes('unhandled error')),
      'nothing logged as an error',
    );
    t.ok(
      logs.some((line) => line.includes('closed the connection before its request arrived')),
      'a debug line says what happened',
    );
  },
);

t.test(
  'a target that is no path is a 400 problem, an Expect other than 100-continue a 417, CONNECT a 405',
  async (t) => {
    const port = await server(t);
    for (const target of ['*', '/a\\b']) {
      const answer = await exchange(port, `OPTIONS ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      t.equal(answer.status, 400, target);
      t.match(problemOf(t, answer), { type: /malformed-request/, detail: /send a path such as \/v1\/orders/ });
    }
    const expectation = await exchange(
      port,
      'GET /ping HTTP/1.1\r\nHost: x\r\nExpect: 999-foo\r\nConnection: close\r\n\r\n',
    );
    t.equal(expectation.status, 417);
    t.match(problemOf(t, expectation), { type: /expectation-failed/, detail: /100-continue/ });
    const tunnel = await exchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    t.equal(tunnel.status, 405, 'answered, not dropped');
    t.match(problemOf(t, tunnel), { detail: /CONNECT is not served/ });
  },
);
