// A local OTLP/HTTP receiver for the tracing-overhead runs: accepts every export, counts it, keeps nothing.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface OtlpSink {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  endpoint: string;
  requests: number;
  bytes: number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const sink = { endpoint: '', requests: 0, bytes: 0, close: async () => {} };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (sink.bytes += chunk.length));
    req.on('end', () => {
      sink.requests += 1;
      // An empty ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  sink.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return sink;
}

/**
 * What a busy production samples, and what tracing may cost the gateway's throughput (issue 18):
 * recording every trace, and sampling that share.
 */
export const sampledShare = 0.1;
export const tracingCostGoals = { everyTrace: 0.15, sampled: 0.05 };

/**
 * How a child process traces: the SDK registered before the app (node --import), OTLP over HTTP to
 * the sink, the batch processor's queue large enough that no span is dropped under benchmark load;
 * every trace recorded, or the given share of them (parent-based: a sampled caller stays sampled).
 */
export function tracedChild(
  endpoint: string,
  sampleRatio?: number,
): { nodeFlags: string[]; env: Record<string, string> } {
  return {
    nodeFlags: ['--import', fileURLToPath(new URL('../../src/telemetry/otel-register.js', import.meta.url))],
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_MAX_QUEUE_SIZE: '100000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
      OTEL_BSP_SCHEDULE_DELAY: '500',
      OTEL_SERVICE_NAME: 'orderbridge-bench',
      ...(sampleRatio === undefined
        ? {}
        : { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(sampleRatio) }),
    },
  };
}
