import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tracing } from '@opentelemetry/sdk-node';
import { createTracingSdk } from '../../src/telemetry/otel-sdk.js';
import { enableTracing, SpanKind, SpanStatusCode } from '../../src/telemetry/tracing.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { createAndAcceptOrder, startGatewayWithWebhookPartner } from '../helpers/test-gateway.js';
import { webhookReceiver } from '../helpers/loopback-http.js';

// The gateway's own SDK set-up (resource and all), recording into memory instead of exporting.
const exporter = new tracing.InMemorySpanExporter();
const sdk = createTracingSdk({}, { spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
sdk.start();
enableTracing();
t.teardown(() => sdk.shutdown());

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

t.test(
  'spans follow the OpenTelemetry messaging and HTTP conventions; webhook POSTs carry their traceparent; the resource names the service version',
  async (t) => {
    const hooks = await webhookReceiver(t, (earlier) => (earlier.length ? 204 : 503));
    const gateway = await startGatewayWithWebhookPartner(
      t,
      'ob-semconv',
      hooks.url,
      `whsec_${randomBytes(32).toString('base64')}`,
    );
    const { peer, amqp } = gateway;
    const { exchanges, queues } = amqp;
    const orderEvents = await peer.collect(amqp.queues.crmOrderEvents);
    await createAndAcceptOrder(gateway, 'OT-1');
    // Two order events, so two deliveries: three POSTs, the first answered 503 and retried.
    await waitFor(
      () => orderEvents.length === 2 && hooks.posts.length === 3,
      10_000,
      'the order events and their webhook POSTs',
    );
    const postSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT && s.name === 'POST');
    // Failing here goes on to the checks below, which tell what is missing.
    await waitFor(() => postSpans().length === 3, 5000, 'the POST spans ended').catch((error: unknown) =>
      t.fail(String(error)),
    );
    const spans = exporter.getFinishedSpans();

    t.test('publish spans: `publish {exchange}:{routing key}`, operation send', async (t) => {
      for (const { message } of orderEvents) {
        const { exchange, routingKey } = message.fields;
        const destination = `${exchange}:${routingKey}`;
        const span = spans.find(
          (s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === message.properties.messageId,
        );
        t.equal(span?.name, `publish ${destination}`);
        t.match(span?.attributes, {
          'messaging.system': 'rabbitmq',
          'messaging.operation.name': 'publish',
          'messaging.operation.type': 'send',
          'messaging.destination.name': destination,
          'messaging.rabbitmq.destination.routing_key': routingKey,
          'server.address': '127.0.0.1',
          'server.port': 5672,
        });
        t.equal(exchange, exchanges.orderEvents);
      }
    });

    t.test('process spans: `process {exchange}:{routing key}:{queue}`, operation process', async (t) => {
      const consumed = [
        [exchanges.crmCommands, 'order.create', queues.crmCommands],
        [exchanges.mesEvents, 'ORDER_STATE_CHANGED', queues.mesEvents],
      ] as const;
      for (const [exchange, routingKey, queue] of consumed) {
        const destination = `${exchange}:${routingKey}:${queue}`;
        const span = spans.find((s) => s.kind === SpanKind.CONSUMER && s.name === `process ${destination}`);
        t.ok(span, `a span "process ${destination}"`);
        t.match(span?.attributes, {
          'messaging.system': 'rabbitmq',
          'messaging.operation.name': 'process',
          'messaging.operation.type': 'process',
          'messaging.destination.name': destination,
          'messaging.rabbitmq.destination.routing_key': routingKey,
          'messaging.rabbitmq.message.delivery_tag': Number,
          'server.address': '127.0.0.1',
          'server.port': 5672,
        });
      }
      const messaging = spans.filter((s) => s.attributes['messaging.system'] !== undefined);
      t.same(
        messaging
          .filter((s) => !s.attributes['messaging.operation.name'] || !s.attributes['messaging.operation.type'])
          .map((s) => s.name),
        [],
        'no messaging span without messaging.operation.name and .type',
      );
    });

    t.test('webhook POSTs: an HTTP client span each, its context sent as traceparent', async (t) => {
      const byId = new Map(postSpans().map((s) => [s.spanContext().spanId, s]));
      for (const [i, post] of hooks.posts.entries()) {
        const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(post.headers.traceparent));
        t.ok(match, `POST ${i + 1} carries a sampled traceparent`);
        const span = byId.get(match?.[2] ?? '');
        t.ok(span && span.spanContext().traceId === match?.[1], 'the context of a recorded POST span');
        t.match(span?.attributes, {
          'http.request.method': 'POST',
          'server.address': '127.0.0.1',
          'server.port': Number(new URL(hooks.url).port),
          'url.full': hooks.url,
          'http.response.status_code': post.status,
          'orderbridge.webhook.event_id': post.headers['webhook-id'],
        });
        if (post.status === 503) {
          t.equal(span?.attributes['error.type'], '503', 'a failed attempt names its error');
          t.equal(span?.status.code, SpanStatusCode.ERROR);
        } else t.notOk(span?.attributes['error.type']);
      }
      const retried = postSpans().filter((s) => s.attributes['http.request.resend_count'] === 1);
      t.equal(retried.length, 1, 'the retried delivery counts its resend');
      t.equal(
        retried[0]?.attributes['orderbridge.webhook.event_id'],
        hooks.posts[0]?.headers['webhook-id'],
        'the one answered 503 first',
      );
    });

    t.test("every span's resource names the service and its version", async (t) => {
      t.same(
        [
          ...new Set(
            spans.map(
              (s) =>
                `${String(s.resource.attributes['service.name'])}@${String(s.resource.attributes['service.version'])}`,
            ),
          ),
        ],
        [`orderbridge@${packageVersion}`],
      );
    });
  },
);
