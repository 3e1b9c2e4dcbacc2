import t from 'tap';
import { randomBytes } from 'node:crypto';
import { HTTP, type CloudEvent } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { waitFor, type Received } from '../helpers/amqp-peer.js';
import { createAndAcceptOrder, startGatewayWithWebhookPartner } from '../helpers/test-gateway.js';
import { webhookReceiver } from '../helpers/loopback-http.js';

// No OpenTelemetry SDK in this process: tracing is off, as by default.

const secret = `whsec_${randomBytes(32).toString('base64')}`;
/** CloudEvents structured content mode, JSON event format: the media type as the SDK spells it (its parser is looked up by it). */
const structuredJson = 'application/cloudevents+json; charset=utf-8';

/**
 * What a CloudEvents receiver on RabbitMQ sees of a message, handed to the SDK's HTTP binding: the
 * AMQP content-type property as Content-Type, the AMQP headers (application properties) as the
 * other headers, the body as the body. The SDK ships no AMQP binding, and for what matters here the
 * AMQP binding reads exactly as the HTTP one: a content-type starting `application/cloudevents`
 * means structured mode and names the event format; otherwise the event's attributes must be in
 * the headers (binary mode), and these messages carry none (no `ce-*`, no `cloudEvents_*`), so only
 * the structured reading can find an event.
 */
function asBindingMessage({ message }: Received) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.properties.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (message.properties.contentType) headers['content-type'] = String(message.properties.contentType);
  return { headers, body: message.content.toString('utf8') };
}

t.test(
  'order events are CloudEvents in structured mode on the broker and on webhooks: the cloudevents SDK reads both, the webhook signature verifies',
  async (t) => {
    const partnerHooks = await webhookReceiver(t);
    const gateway = await startGatewayWithWebhookPartner(t, 'ob-cloudevents', partnerHooks.url, secret);
    const { peer, amqp } = gateway;
    const onBroker = await peer.collect(amqp.queues.crmOrderEvents);
    await createAndAcceptOrder(gateway, 'CE-1');
    await waitFor(
      () => onBroker.length >= 2 && partnerHooks.posts.length >= onBroker.length,
      10_000,
      'the order events on the broker and at the webhook',
    );

    t.test('on RabbitMQ (CloudEvents AMQP protocol binding, structured mode)', async (t) => {
      for (const received of onBroker) {
        const { properties } = received.message;
        t.equal(properties.contentType, structuredJson, "content-type: the JSON event format's media type");
        const message = asBindingMessage(received);
        t.notOk(
          Object.keys(message.headers).some((h) => h.startsWith('ce-') || h.startsWith('cloudevents')),
          'no event attribute in the headers: the content-type alone tells it is an event',
        );
        t.ok(HTTP.isEvent(message), 'the SDK detects an event');
        const event = HTTP.toEvent(message) as CloudEvent<unknown>;
        t.ok(event.validate(), 'a valid CloudEvent 1.0');
        t.same(JSON.parse(JSON.stringify(event)), JSON.parse(message.body), 'every attribute and the data, as sent');
        const asInReadme = HTTP.toEvent({
          headers: { 'content-type': properties.contentType },
          body: message.body,
        }) as CloudEvent<unknown>;
        t.same(
          asInReadme.toJSON(),
          event.toJSON(),
          "the same event from the content-type alone (the README's consumer)",
        );
        t.equal(properties.messageId, event.id, 'AMQP message-id: the event id');
        t.equal(properties.type, event.type, 'AMQP type: the event type');
      }
      t.same(onBroker.map((r) => (r.body as { type: string }).type).sort(), [
        'dev.orderbridge.order.acknowledged',
        'dev.orderbridge.order.status_changed',
      ]);
    });

    t.test('on the webhook (HTTP protocol binding, structured mode; Standard Webhooks signature)', async (t) => {
      const verifier = new Webhook(secret);
      for (const post of partnerHooks.posts) {
        t.equal(post.headers['content-type'], structuredJson);
        const signed = verifier.verify(post.body, {
          'webhook-id': String(post.headers['webhook-id']),
          'webhook-timestamp': String(post.headers['webhook-timestamp']),
          'webhook-signature': String(post.headers['webhook-signature']),
        });
        const event = HTTP.toEvent({ headers: post.headers, body: post.body }) as CloudEvent<unknown>;
        t.ok(event.validate(), 'the SDK reads a valid CloudEvent 1.0');
        t.same(signed, JSON.parse(post.body), 'the signature covers the event as sent');
        t.equal(post.headers['webhook-id'], event.id, 'webhook-id: the event id, the same on every attempt');
        const sameOnBroker = onBroker.find((r) => r.message.properties.messageId === event.id);
        t.equal(
          post.body,
          sameOnBroker?.message.content.toString('utf8'),
          'byte for byte the event published to the broker',
        );
        t.notOk(post.headers.traceparent, 'tracing off: no trace context is made');
      }
    });
  },
);
