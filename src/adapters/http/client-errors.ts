import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpProblem, problemJson } from './problems.js';
import type { HttpServerLimits } from './server-limits.js';

type ClientError = Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number };

/** The whole HTTP response for a problem, written to the socket by hand: there is no request object to answer through. */
function rawResponse(problem: HttpProblem): Buffer {
  const body = JSON.stringify(problem.toJSON());
  const head = `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\ncontent-type: ${problemJson}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  return Buffer.from(head + body);
}

const methodThenSpace = /^[A-Z]{3,10} /;

/**
 * Whether a header overflow hit inside the request line: the packet that overflowed starts with
 * a method and holds no line end before the point where parsing stopped. A URL that arrives over
 * several packets, or a single header line longer than one, is answered 431, which also fits.
 */
function inRequestLine(error: ClientError): boolean {
  const packet = error.rawPacket;
  if (!packet) return false;
  const parsed = packet.subarray(0, error.bytesParsed ?? packet.length);
  return methodThenSpace.test(parsed.subarray(0, 12).toString('latin1')) && !parsed.includes(0x0a);
}

/**
 * The 'clientError' listener: what Node would answer with an empty body (400, 408, 413, 431), as
 * problem+json, plus 414 for a URL too long. The answers are built once, not per error.
 */
export function clientErrorAnswerer(limits: HttpServerLimits): (error: ClientError, socket: Duplex) => void {
  const answers = {
    malformed: rawResponse(
      new HttpProblem(
        400,
        'malformed-request',
        'Malformed request',
        'The request is not valid HTTP/1.1; the connection is closed.',
      ),
    ),
    timeout: rawResponse(
      new HttpProblem(
        408,
        'request-timeout',
        'Request timeout',
        `The request line and headers must arrive within ${limits.headersTimeoutMs} ms and the whole request within ${limits.requestTimeoutMs} ms; the connection is closed.`,
      ),
    ),
    chunkExtensions: rawResponse(
      new HttpProblem(
        413,
        'payload-too-large',
        'Chunk extensions too large',
        'Send the body without chunk extensions.',
      ),
    ),
    uriTooLong: rawResponse(
      new HttpProblem(
        414,
        'uri-too-long',
        'URI too long',
        `The request line and headers may be at most ${limits.maxHeaderBytes} bytes together; send long input in a POST body.`,
      ),
    ),
    headersTooLarge: rawResponse(
      new HttpProblem(
        431,
        'request-header-fields-too-large',
        'Request header fields too large',
        `The request line and headers may be at most ${limits.maxHeaderBytes} bytes together.`,
      ),
    ),
  };
  const answerFor = (error: ClientError): Buffer => {
    switch (error.code) {
      case 'HPE_HEADER_OVERFLOW':
        return inRequestLine(error) ? answers.uriTooLong : answers.headersTooLarge;
      case 'ERR_HTTP_REQUEST_TIMEOUT':
        return answers.timeout;
      case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
        return answers.chunkExtensions;
      default:
        return answers.malformed;
    }
  };
  return (error, socket) => {
    // As Node itself does: answer only while no response has started on this connection (a
    // keep-alive connection may be mid-response), then close it; a reset peer gets nothing.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) socket.write(answerFor(error));
    socket.destroy();
  };
}

const unsupportedExpectation = new HttpProblem(
  417,
  'expectation-failed',
  'Expectation failed',
  'The only expectation this server meets is Expect: 100-continue.',
);

/** The 'checkExpectation' listener: an Expect other than 100-continue, answered as problem+json (Node's is bare). */
export function answerUnsupportedExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify(unsupportedExpectation.toJSON());
  response.writeHead(417, { 'content-type': problemJson, 'content-length': Buffer.byteLength(body) }).end(body);
}

const connectRefused = rawResponse(
  new HttpProblem(405, 'method-not-allowed', 'Method not allowed', 'This server is no proxy: CONNECT is not served.'),
);

/** The 'connect' listener: a CONNECT request, refused as problem+json (without one, Node drops the connection unanswered). */
export function refuseConnect(_request: IncomingMessage, socket: Duplex): void {
  if (socket.writable) socket.write(connectRefused);
  socket.destroy();
}
