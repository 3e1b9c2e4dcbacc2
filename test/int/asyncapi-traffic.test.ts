import t from 'tap';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createHash, randomBytes } from 'node:crypto';
import { asyncApiDocument } from '../../src/adapters/http/asyncapi.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { crmCreateCommand, mesEvent } from '../fixtures/mes-events.js';
import { waitFor, type Received } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is read back as plain JSON; the parser checks its shape.
type Doc = any;

/** The document's channels on the message's exchange whose address (parameters within their enums) matches its routing key. */
function channelsOf(doc: Doc, exchange: string, routingKey: string): string[] {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return Object.entries(doc.channels as Record<string, Doc>)
    .filter(([, channel]) => {
      if (channel.bindings.amqp.exchange?.name !== exchange) return false;
      if (channel.address === null) return true;
      const pattern = String(channel.address)
        .split(/(\{\w+\})/)
        .map((part) => {
          const name = /^\{(\w+)\}$/.exec(part)?.[1];
          if (name === undefined) return escapeRegExp(part);
          const values = channel.parameters?.[name]?.enum as string[] | undefined;
          return values ? `(?:${values.map(escape).join('|')})` : '.+';
        })
        .join('');
      return new RegExp(`^${pattern}$`).test(routingKey);
    })
    .map(([id]) => id);
}

t.test(
  'what the gateway publishes on every output is what its AsyncAPI document says: exchange, routing key, queue, AMQP type, content type, payload schema',
  async (t) => {
    const key = randomBytes(24).toString('base64url');
    const { gateway, peer, amqp, env } = await startTestGateway(t, {
      gateway: {
        partners: [
          {
            id: 'shop',
            name: 'Shop',
            apiKeySha256: createHash('sha256').update(key).digest('hex'),
            requestsPerSecond: 100,
          },
        ],
      },
    });
    const doc: Doc = asyncApiDocument(env.config, '1');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc, 'asyncapi');
    const payloadValid = (message: string) => ajv.compile({ $ref: `asyncapi#/components/messages/${message}/payload` });

    const { queues, exchanges } = amqp;
    const collected: Record<string, Received[]> = {};
    for (const queue of [queues.mesCommands, queues.crmOrderEvents, queues.crmPartnerOrders, queues.deadLetter])
      collected[queue] = await peer.collect(queue);

    // Every output once: an MES command, order events (acknowledgement and status), a partner order, a dead letter.
    const orderId = `AA-${randomBytes(3).toString('hex')}`;
    await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand(orderId));
    await waitFor(() => collected[queues.mesCommands]!.length === 1, 5000, 'the MES command');
    await peer.publish(
      exchanges.mesEvents,
      'ORDER_ACCEPTED',
      mesEvent('ACCEPTED', {
        orderId,
        eventId: `ev-${orderId}`,
        correlationId: mesCommandId(`crm-${orderId}`),
        at: new Date().toISOString(),
      }),
    );
    const posted = await fetch(`http://127.0.0.1:${gateway.http.port}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': '"asyncapi-traffic-1"',
      },
      body: JSON.stringify({
        reference: 'PO-1',
        customer: { id: 'C-2', name: 'Partner customer' },
        lines: [{ sku: 'SKU-1', quantity: 1 }],
      }),
    });
    t.equal(posted.status, 202, 'partner order accepted');
    await peer.publish(exchanges.crmEvents, 'order.delivered', { messageId: 'fact-1', type: 'order.delivered' });
    await waitFor(
      () =>
        collected[queues.crmOrderEvents]!.length >= 2 &&
        collected[queues.crmPartnerOrders]!.length === 1 &&
        collected[queues.deadLetter]!.length === 1,
      5000,
      'order events, the partner order and the dead letter',
    );

    let checked = 0;
    for (const [queue, received] of Object.entries(collected)) {
      const queueChannel = Object.entries(doc.channels as Record<string, Doc>).find(
        ([, c]) => c.bindings.amqp.queue?.name === queue,
      );
      t.ok(queueChannel, `${queue} is a channel`);
      for (const { message, body } of received) {
        const { exchange, routingKey } = message.fields;
        const what = `${exchange} ${routingKey}`;
        const channels = channelsOf(doc, exchange, routingKey);
        t.equal(channels.length, 1, `${what}: one channel (${channels.join(', ')})`);
        const names = Object.keys(doc.channels[channels[0]!]?.messages ?? {});
        // The message of that channel whose payload schema the body follows.
        const matching = names.filter((name) => payloadValid(name)(body));
        t.equal(matching.length, 1, `${what}: the body follows one of its messages (${names.join(', ')})`);
        const name = matching[0]!;
        t.ok(Object.keys(queueChannel?.[1].messages ?? {}).includes(name), `${what}: ${queue} carries ${name}`);
        const described = doc.components.messages[name];
        if (name !== 'DeadLetter')
          t.equal(
            message.properties.contentType,
            described.contentType ?? doc.defaultContentType,
            `${what}: content type`,
          );
        else
          t.equal(
            message.properties.contentType,
            'application/json',
            'a dead letter keeps the content type it came with',
          );
        const messageType = described.bindings?.amqp?.messageType;
        if (messageType !== undefined) t.equal(message.properties.type, messageType, `${what}: AMQP type`);
        const gatewayHeaders = Object.keys(message.properties.headers ?? {}).filter(
          (header) => header.startsWith('x-orderbridge-') || header === 'traceparent',
        );
        t.same(
          gatewayHeaders.filter((header) => !(header in (described.headers?.properties ?? {}))),
          [],
          `${what}: the headers the gateway writes are documented`,
        );
        checked += 1;
      }
    }
    t.ok(checked >= 5, `${checked} messages checked`);
  },
);
