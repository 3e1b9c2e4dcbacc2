import { Hono } from 'hono';
import { brokerUrls, type Config } from '../../config/index.js';
import { schemas } from '../../contracts/schemas.js';
import { deadLetterHeaders } from '../../app/dead-letter-headers.js';
import { orderEventContentType, routingKeyFor } from '../../ledger/order-event.js';
import type { StatusChange } from '../../ledger/model.js';
import { topologyOf, type DeclaredExchange, type DeclaredQueue } from '../rabbitmq/topology.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What the document is made from: the topology (gateway.yaml amqp) and the MES dialect with its schemas. */
export type AsyncApiConfig = Pick<Config, 'gateway' | 'dialect' | 'dialectSchemas'>;

/** GET /asyncapi.json: the document, built once from the loaded config. */
export function asyncApiRoutes(config: AsyncApiConfig, version: string): Hono {
  const document = asyncApiDocument(config, version);
  const routes = new Hono();
  routes.get('/asyncapi.json', (c) => c.json(document));
  return routes;
}

const bindingVersion = '0.3.0';
/** The AMQP `type` property the gateway publishes with (publish-out.ts): the ledger channel; for an order event its CloudEvents type. */
const amqpType = { mesCommand: 'mes.command', partnerOrder: 'crm.request' } as const;
/** The gateway's own dead letters are published with the input they came from as routing key. */
const inputChannels = ['crm.command', 'crm.fact', 'mes.event'] as const;
const deadLetterReasons = ['too_large', 'undecodable', 'too_deep', 'invalid', 'refused', 'handler_error'] as const;

/**
 * The AsyncAPI 3.0 document of the RabbitMQ side, generated from what the gateway runs with, so the
 * two cannot drift: the exchanges and queues it declares (topology.ts, from gateway.yaml `amqp`),
 * the routing keys it publishes with (order-event.ts, the dialect's command templates), and every
 * message's schema from contracts/ and the dialect's own event and command schemas. Channels are
 * exchanges (`is: routingKey`, the address is the routing key) and queues (`is: queue`); the
 * operations are the gateway's: what it receives from its three queues, what it sends to each
 * exchange.
 */
export function asyncApiDocument(config: AsyncApiConfig, version: string): JsonObject {
  const { amqp } = config.gateway;
  const topology = topologyOf(amqp);
  const nodes = brokerUrls(amqp).map(serverOf);
  const server = nodes[0]!;
  const components = new SchemaComponents();
  const ref = (path: string): JsonObject => ({ $ref: path });
  const exchangeBinding = (exchange: DeclaredExchange): JsonObject => ({
    amqp: {
      is: 'routingKey',
      exchange: {
        name: exchange.name,
        type: exchange.type,
        durable: exchange.durable,
        autoDelete: false,
        vhost: server.vhost,
      },
      bindingVersion,
    },
  });
  const queueBinding = (queue: DeclaredQueue): JsonObject => ({
    amqp: {
      is: 'queue',
      queue: { name: queue.name, durable: queue.durable, exclusive: false, autoDelete: false, vhost: server.vhost },
      bindingVersion,
      'x-arguments': queue.arguments,
      'x-bound-to': { exchange: queue.exchange, bindingKey: queue.bindingKey },
    },
  });
  const exchangeNamed = (role: DeclaredExchange['role']) => topology.exchanges.find((e) => e.role === role)!;

  // ---- messages ----------------------------------------------------------------------------------
  const traceparent: JsonObject = {
    type: 'string',
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    description: 'W3C Trace Context: the trace this message belongs to.',
  };
  const traceHeaders: JsonObject = {
    type: 'object',
    description:
      'AMQP application headers. The W3C trace context travels here both ways; other headers are passed on as sent.',
    properties: {
      traceparent,
      tracestate: { type: 'string', description: 'W3C Trace Context vendor state, passed on with traceparent.' },
    },
  };
  const json = 'application/json';
  const crmCommandTypes = (['crmOrderCreate', 'crmOrderCancel', 'crmOrderUpdate'] as const).map((key) => ({
    key,
    type: constOf(schemas[key], 'type'),
  }));
  const crmFactTypes = enumOf(schemas.crmFact, 'type');
  const kinds = enumOf(schemas.statusChange, 'kind') as StatusChange['kind'][];
  const cloudEventTypes = enumOf(schemas.orderEvent, 'type');
  const messages: Record<string, JsonObject> = {
    ...Object.fromEntries(
      crmCommandTypes.map(({ key, type }) => [
        pascal(key),
        {
          name: type,
          title: `CRM command ${type}`,
          summary: `The CRM asks for ${type}; the gateway forwards it to the MES as the dialect's command.`,
          contentType: json,
          headers: traceHeaders,
          payload: components.contract(key),
        },
      ]),
    ),
    CrmFact: {
      name: 'crm.fact',
      title: 'CRM fact',
      summary: `A fact the CRM owns (${crmFactTypes.join(', ')}); it feeds the same order status as the MES events.`,
      contentType: json,
      headers: traceHeaders,
      payload: components.contract('crmFact'),
    },
    MesEvent: {
      name: 'mes.event',
      title: `MES event (${config.dialect.mes.name})`,
      summary:
        'What the MES reports about an order, in its own format; the dialect reads it (events.paths) and translates its states.',
      contentType: json,
      headers: traceHeaders,
      payload: components.dialect('MesEvent', config.dialectSchemas.event),
    },
    MesCommand: {
      name: 'mes.command',
      title: `MES command (${config.dialect.mes.name})`,
      summary:
        "A CRM command in the MES's format, written by the dialect's command templates. Its id is derived from the CRM message id: a re-forward carries the same one, so the MES can de-duplicate.",
      contentType: json,
      headers: traceHeaders,
      payload: components.dialect('MesCommand', config.dialectSchemas.command),
      bindings: { amqp: { messageType: amqpType.mesCommand, bindingVersion } },
    },
    ...Object.fromEntries(
      kinds.map((kind) => {
        const type = `dev.orderbridge.order.${kind}`;
        if (!cloudEventTypes.includes(type))
          throw new Error(`order-event.schema.json names no CloudEvents type for ${kind}`);
        return [
          orderEventMessage(kind),
          {
            name: type,
            title: `Order event ${kind}`,
            summary: `A CloudEvents 1.0 event of type ${type} in structured content mode (AMQP protocol binding: the content-type is the JSON event format's, the AMQP type the event's type, the message-id its id); its data is a StatusChange. The id is stable: a re-published event carries the same id.`,
            contentType: orderEventContentType,
            headers: traceHeaders,
            payload: {
              allOf: [components.contract('orderEvent'), { type: 'object', properties: { type: { const: type } } }],
            },
            bindings: { amqp: { messageType: type, bindingVersion } },
          },
        ];
      }),
    ),
    PartnerOrder: {
      name: constOf(schemas.crmPartnerOrder, 'type'),
      title: 'Partner order for the CRM',
      summary:
        'An order a partner submitted over HTTP (POST /v1/orders), handed to the CRM, which creates it with order.create under the same orderId.',
      contentType: json,
      headers: traceHeaders,
      payload: components.contract('crmPartnerOrder'),
      bindings: { amqp: { messageType: amqpType.partnerOrder, bindingVersion } },
    },
    DeadLetter: {
      name: 'dead-letter',
      title: 'Dead letter',
      summary: 'A message that could not be used, body and content type unchanged, with why in its headers.',
      description: `The gateway dead-letters what it cannot use (reasons: ${deadLetterReasons.join(', ')}); the broker dead-letters what a queue rejects or redelivered too often (x-death). \`orderbridge dead-letters\` and /ops/dead-letters list them, replay re-injects one.`,
      headers: {
        type: 'object',
        properties: {
          [deadLetterHeaders.reason]: {
            type: 'string',
            enum: [...deadLetterReasons],
            description: 'Why the gateway dead-lettered it.',
          },
          [deadLetterHeaders.error]: {
            type: 'string',
            maxLength: 2000,
            description: 'The error; for invalid messages the JSON Pointer of the field and the fix.',
          },
          [deadLetterHeaders.originalExchange]: { type: 'string', description: 'The exchange it was published to.' },
          [deadLetterHeaders.originalRoutingKey]: {
            type: 'string',
            description: 'The routing key it was published with.',
          },
          [deadLetterHeaders.replays]: {
            type: 'integer',
            minimum: 1,
            description: 'How often it was replayed from the dead letters.',
          },
          'x-death': {
            type: 'array',
            items: { type: 'object' },
            description: "The broker's record, when the broker dead-lettered it (delivery limit, rejected).",
          },
          traceparent,
        },
      },
      payload: { description: 'The original body, unchanged (not necessarily JSON).' },
    },
  };
  const messageRefs = (...names: string[]): JsonObject =>
    Object.fromEntries(names.map((name) => [name, ref(`#/components/messages/${name}`)]));

  // ---- channels: the exchanges, by routing key ---------------------------------------------------
  const channels: Record<string, JsonObject> = {};
  const crmCommands = exchangeNamed('crmCommands');
  channels.crmCommands = {
    address: '{commandType}',
    title: `CRM commands (exchange ${crmCommands.name})`,
    description: `The CRM publishes its commands here. The gateway's queue is bound with #, so any routing key reaches it (the body's type decides); the command type is the routing key by convention. Larger than ${amqp.maxMessageBytes} bytes is dead-lettered unread.`,
    parameters: {
      commandType: {
        enum: crmCommandTypes.map((c) => c.type),
        description: 'The command type, as the reference CRM sends it.',
      },
    },
    messages: messageRefs(...crmCommandTypes.map((c) => pascal(c.key))),
    bindings: exchangeBinding(crmCommands),
  };
  const crmEvents = exchangeNamed('crmEvents');
  channels.crmEvents = {
    address: '{factType}',
    title: `CRM facts (exchange ${crmEvents.name})`,
    description:
      'The CRM publishes the facts it owns here; any routing key reaches the gateway (bound with #), the fact type by convention.',
    parameters: { factType: { enum: crmFactTypes, description: 'The fact type, as the reference CRM sends it.' } },
    messages: messageRefs('CrmFact'),
    bindings: exchangeBinding(crmEvents),
  };
  const mesEvents = exchangeNamed('mesEvents');
  channels.mesEvents = {
    address: null,
    title: `MES events (exchange ${mesEvents.name})`,
    description: `The MES publishes its events here with a routing key of its choosing: the gateway's queue is bound with #. Read by the dialect ${JSON.stringify(config.gateway.dialect ?? 'mes/reference')} (${config.dialect.mes.name}).`,
    messages: messageRefs('MesEvent'),
    bindings: exchangeBinding(mesEvents),
  };
  const mesCommands = exchangeNamed('mesCommands');
  const commandKeys = crmCommandTypes.map(({ type }) => ({
    type,
    key: constantTemplate(config.dialect.commands[type as 'order.create' | 'order.cancel' | 'order.update']),
  }));
  const keyed = commandKeys.every((c) => c.key !== undefined);
  channels.mesCommands = {
    address: keyed ? '{routingKey}' : null,
    title: `MES commands (exchange ${mesCommands.name})`,
    description: `The gateway publishes the MES's commands here (persistent, mandatory: an unroutable command counts as not sent), with the routing key of the dialect's command template: ${commandKeys.map((c) => `${c.type} → ${c.key === undefined ? 'built per command by its template' : c.key}`).join(', ')}.`,
    ...(keyed
      ? {
          parameters: {
            routingKey: {
              enum: [...new Set(commandKeys.map((c) => c.key!))],
              description: 'The routing key of the command template for the CRM command it carries out.',
            },
          },
        }
      : {}),
    messages: messageRefs('MesCommand'),
    bindings: exchangeBinding(mesCommands),
  };
  const orderEvents = exchangeNamed('orderEvents');
  const statusChange = schemas.statusChange.properties;
  // The routing keys are routingKeyFor's, each field it reads given as an AsyncAPI parameter.
  const parameterValues: Record<string, readonly string[]> = {
    status: schemas.orderStatus.enum,
    acknowledgement: statusChange.acknowledgement.enum,
    attention: statusChange.attention.enum,
  };
  for (const kind of kinds) {
    const address = routingKeyFor({
      kind,
      status: '{status}',
      acknowledgement: '{acknowledgement}',
      attention: '{attention}',
    } as unknown as StatusChange);
    const used = [...address.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    channels[orderEventChannel(kind)] = {
      address,
      title: `Order events: ${kind} (exchange ${orderEvents.name})`,
      description: `The gateway publishes every external change of an order here (persistent, mandatory), after the ledger recorded it; bind to the routing keys you need. The CRM's queue ${topology.queues.find((q) => q.role === 'crmOrderEvents')!.name} gets them all.`,
      ...(used.length
        ? {
            parameters: Object.fromEntries(
              used.map((name) => [name, { enum: [...parameterValues[name]!], description: `The event's ${name}.` }]),
            ),
          }
        : {}),
      messages: messageRefs(orderEventMessage(kind)),
      bindings: exchangeBinding(orderEvents),
    };
  }
  const partnerOrders = exchangeNamed('partnerOrders');
  channels.partnerOrders = {
    address: constOf(schemas.crmPartnerOrder, 'type'),
    title: `Partner orders for the CRM (exchange ${partnerOrders.name})`,
    description: 'The gateway hands partner orders to the CRM here (persistent, mandatory).',
    messages: messageRefs('PartnerOrder'),
    bindings: exchangeBinding(partnerOrders),
  };
  const deadLetter = exchangeNamed('deadLetter');
  channels.deadLetter = {
    address: '{routingKey}',
    title: `Dead letters (exchange ${deadLetter.name})`,
    description: `The other queues dead-letter here (their x-dead-letter-exchange). The gateway publishes what it cannot use with its input as the routing key (${inputChannels.join(', ')}); the broker keeps the original routing key.`,
    parameters: {
      routingKey: {
        description: `The gateway's input (${inputChannels.join(', ')}), or the original routing key of a message the broker dead-lettered.`,
        examples: [...inputChannels],
      },
    },
    messages: messageRefs('DeadLetter'),
    bindings: exchangeBinding(deadLetter),
  };

  // ---- channels: the queues ----------------------------------------------------------------------
  const queueDocs: Record<DeclaredQueue['role'], { consumer: string; messages: string[] }> = {
    crmCommands: { consumer: 'the gateway', messages: crmCommandTypes.map((c) => pascal(c.key)) },
    crmEvents: { consumer: 'the gateway', messages: ['CrmFact'] },
    mesEvents: { consumer: 'the gateway', messages: ['MesEvent'] },
    mesCommands: { consumer: 'the MES', messages: ['MesCommand'] },
    crmOrderEvents: { consumer: 'the CRM', messages: kinds.map(orderEventMessage) },
    crmPartnerOrders: { consumer: 'the CRM', messages: ['PartnerOrder'] },
    deadLetter: {
      consumer: 'operators (orderbridge dead-letters, /ops/dead-letters, replay)',
      messages: ['DeadLetter'],
    },
  };
  for (const queue of topology.queues) {
    const doc = queueDocs[queue.role];
    const limit = queue.arguments['x-delivery-limit'];
    channels[`${queue.role}Queue`] = {
      address: queue.name,
      title: `Queue ${queue.name}`,
      description: `Consumed by ${doc.consumer}; declared by the gateway (durable, ${String(queue.arguments['x-queue-type'])}) and bound to ${queue.exchange} with ${queue.bindingKey}, so messages wait here while their consumer is down.${limit === undefined ? '' : ` After ${String(limit)} deliveries a message is dead-lettered (poison protection).`}`,
      messages: messageRefs(...doc.messages),
      bindings: queueBinding(queue),
    };
  }

  // ---- operations: the gateway's ---------------------------------------------------------------
  const channelMessages = (channel: string): JsonObject[] =>
    Object.keys(channels[channel]!.messages as JsonObject).map((name) => ref(`#/channels/${channel}/messages/${name}`));
  const receive = (channel: string, summary: string): JsonObject => ({
    action: 'receive',
    channel: ref(`#/channels/${channel}`),
    summary,
    messages: channelMessages(channel),
    bindings: { amqp: { ack: true, bindingVersion } },
  });
  const send = (channel: string, summary: string): JsonObject => ({
    action: 'send',
    channel: ref(`#/channels/${channel}`),
    summary,
    messages: channelMessages(channel),
    bindings: { amqp: { deliveryMode: 2, mandatory: true, bindingVersion } },
  });
  const operations: Record<string, JsonObject> = {
    receiveCrmCommands: receive(
      'crmCommandsQueue',
      'Validate a CRM command, record it in the ledger, forward it to the MES; acked only once the MES command is confirmed by the broker.',
    ),
    receiveCrmFacts: receive(
      'crmEventsQueue',
      'Apply a CRM fact (delivered, cancelled) to the order under the status model.',
    ),
    receiveMesEvents: receive(
      'mesEventsQueue',
      'Read an MES event by the dialect, acknowledge the command it answers, move the order, publish the resulting order events; acked after they are confirmed.',
    ),
    sendMesCommands: send(
      'mesCommands',
      'Forward a CRM command to the MES (again, with the same message id, while unacknowledged).',
    ),
    ...Object.fromEntries(
      kinds.map((kind) => [
        `send${pascal(orderEventChannel(kind))}`,
        send(orderEventChannel(kind), `Publish an order event (${kind}) to subscribers (the CRM, partners' systems).`),
      ]),
    ),
    sendPartnerOrders: send('partnerOrders', 'Hand a partner order to the CRM.'),
    sendDeadLetters: send(
      'deadLetter',
      'Dead-letter a message the gateway cannot use, with the reason and the error in its headers.',
    ),
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Orderbridge RabbitMQ interface',
      version,
      description: `The messages Orderbridge consumes and publishes on RabbitMQ, with the MES dialect ${JSON.stringify(config.gateway.dialect ?? 'mes/reference')} (${config.dialect.mes.name}). Every exchange is a durable topic exchange and every queue is durable and declared by the gateway. Delivery is at least once: de-duplicate by message id (AMQP message-id; for order events the CloudEvents id).`,
    },
    defaultContentType: json,
    // One server per node of the cluster; the first keeps the name a single broker has.
    servers: Object.fromEntries(
      nodes.map((node, i) => [
        i === 0 ? 'rabbitmq' : `rabbitmq-${i + 1}`,
        {
          host: node.host,
          protocol: node.protocol,
          protocolVersion: '0.9.1',
          ...(node.vhost === '/' ? {} : { pathname: `/${node.vhost}` }),
          description: `RabbitMQ as configured (amqp.url, amqp.urls or AMQP_URL)${nodes.length > 1 ? `, node ${i + 1} of ${nodes.length}` : ''}, virtual host ${JSON.stringify(node.vhost)}.`,
          security: [ref('#/components/securitySchemes/rabbitmqUser')],
        },
      ]),
    ),
    channels,
    operations,
    components: {
      schemas: components.all(),
      messages,
      securitySchemes: {
        rabbitmqUser: { type: 'userPassword', description: 'A RabbitMQ user and password (AMQP PLAIN).' },
      },
    },
  };
}

function orderEventChannel(kind: string): string {
  return `order${pascal(kind)}`;
}

function orderEventMessage(kind: string): string {
  return `Order${pascal(kind)}`;
}

/** status_changed → StatusChanged, crmOrderCreate → CrmOrderCreate. */
function pascal(name: string): string {
  return name.replace(/(?:^|[_-])(\w)/g, (_, c: string) => c.toUpperCase());
}

function constOf(schema: { properties: object }, property: string): string {
  const value = (schema.properties as Record<string, { const?: unknown }>)[property]?.const;
  if (typeof value !== 'string') throw new Error(`the contract names no constant ${property}`);
  return value;
}

function enumOf(schema: { properties: object }, property: string): string[] {
  const values = (schema.properties as Record<string, { enum?: unknown }>)[property]?.enum;
  if (!Array.isArray(values)) throw new Error(`the contract names no enum for ${property}`);
  return values as string[];
}

/** A command template's routing key when it is a constant; undefined when it is built per command. */
function constantTemplate(template: { routingKey: unknown }): string | undefined {
  const key = template.routingKey;
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return String(key);
  if (
    key !== null &&
    typeof key === 'object' &&
    !Array.isArray(key) &&
    Object.keys(key).length === 1 &&
    'const' in key
  ) {
    const value = (key as { const: unknown }).const;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}

/** The broker as the document names it: host and port, never the credentials; the vhost for the bindings. */
function serverOf(url: string): { host: string; protocol: 'amqp' | 'amqps'; vhost: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: '(amqp.url is not a URL)', protocol: 'amqp', vhost: '/' };
  }
  const protocol = parsed.protocol === 'amqps:' ? 'amqps' : 'amqp';
  const vhost = parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/';
  return { host: parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname, protocol, vhost };
}

type ContractKey = keyof typeof schemas;

/**
 * components.schemas: the contracts the messages use, each under its name in contracts/schemas.ts
 * (crmOrderCreate → CrmOrderCreate), and the dialect's two schemas. $id and $schema are dropped; a
 * reference to another contract file points at its component (which is then added too), a local
 * one at the same component. The schemas are draft 2020-12; what they use reads the same as the
 * AsyncAPI Schema Object (a superset of draft 07), and $defs stay where the references find them.
 */
class SchemaComponents {
  private readonly keyOfId = new Map<string, ContractKey>(
    Object.entries(schemas).map(([key, schema]) => [schema.$id, key as ContractKey]),
  );
  private readonly schemas: Record<string, Json> = {};

  contract(key: ContractKey): JsonObject {
    const name = pascal(key);
    this.add(name, schemas[key], schemas[key].$id);
    return { $ref: `#/components/schemas/${name}` };
  }

  dialect(name: string, schema: object): JsonObject {
    const id = (schema as { $id?: unknown }).$id;
    this.add(name, schema, typeof id === 'string' ? id : `https://orderbridge.dev/dialect/${name}.schema.json`);
    return { $ref: `#/components/schemas/${name}` };
  }

  all(): Record<string, Json> {
    return Object.fromEntries(Object.entries(this.schemas).sort(([a], [b]) => a.localeCompare(b)));
  }

  private add(name: string, schema: object, base: string): void {
    if (name in this.schemas) return;
    this.schemas[name] = {};
    this.schemas[name] = this.rewrite(schema as Json, name, base);
  }

  private rewrite(node: Json, self: string, base: string): Json {
    if (Array.isArray(node)) return node.map((n) => this.rewrite(n, self, base));
    if (node === null || typeof node !== 'object') return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$id' || key === '$schema') continue;
      out[key] =
        key === '$ref' && typeof value === 'string'
          ? this.reference(value, self, base)
          : this.rewrite(value, self, base);
    }
    return out;
  }

  private reference(ref: string, self: string, base: string): string {
    const hash = ref.indexOf('#');
    const [file, pointer] = hash === -1 ? [ref, ''] : [ref.slice(0, hash), ref.slice(hash + 1)];
    if (file === '') return `#/components/schemas/${self}${pointer}`;
    const key = this.keyOfId.get(new URL(file, base).href);
    // A reference to something not in contracts/ stays as written.
    if (key === undefined) return ref;
    this.contract(key);
    return `#/components/schemas/${pascal(key)}${pointer}`;
  }
}
