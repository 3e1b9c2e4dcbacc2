import t from 'tap';
import { Parser, type Diagnostic } from '@asyncapi/parser';
import { asyncApiDocument, asyncApiRoutes } from '../../src/adapters/http/asyncapi.js';
import { topologyOf } from '../../src/adapters/rabbitmq/topology.js';
import { brokerUrls, loadConfig, withGatewayOverrides, type Config } from '../../src/config/index.js';
import { schemas } from '../../src/contracts/schemas.js';
import { routingKeyFor } from '../../src/ledger/order-event.js';
import type { StatusChange } from '../../src/ledger/model.js';
import { mesCommandWriter } from '../../src/mapping/mes-command.js';
import { defaultConfigDir } from '../helpers/config-dir.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is read back as plain JSON; the parser checks its shape.
type Doc = any;

const dialects = ['mes/reference', 'mes/line-controller'];
const configOf = (dialect: string, env: Record<string, string> = {}): Config =>
  loadConfig({ dir: defaultConfigDir, env: { ORDERBRIDGE_DIALECT: dialect, ...env }, secrets: 'skip' });
const severities = ['error', 'warning', 'information', 'hint'];
const line = (d: Diagnostic) =>
  `${severities[d.severity] ?? d.severity} ${String(d.code)}: ${d.message}${d.path.length ? ` at ${d.path.join('/')}` : ''}`;

/** The channels of the document on one exchange whose address (parameters filled from their enums) matches the routing key. */
function channelsFor(doc: Doc, exchange: string, routingKey: string): string[] {
  return Object.entries(doc.channels as Record<string, Doc>)
    .filter(([, channel]) => {
      if (channel.bindings?.amqp?.exchange?.name !== exchange) return false;
      if (channel.address === null) return true;
      const pattern = String(channel.address)
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{(\w+)\}/g, (_: string, name: string) => {
          const values = channel.parameters?.[name]?.enum as string[] | undefined;
          return values ? `(?:${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})` : '.+';
        });
      return new RegExp(`^${pattern}$`).test(routingKey);
    })
    .map(([id]) => id);
}

for (const dialect of dialects) {
  t.test(`AsyncAPI (${dialect}): @asyncapi/parser reads the document with no error`, async (t) => {
    const config = configOf(dialect);
    const document = asyncApiDocument(config, '1.2.3');
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    for (const d of diagnostics.filter((d) => d.severity > 0)) t.comment(line(d));
    t.same(
      diagnostics.filter((d) => d.severity === 0).map(line),
      [],
      'no errors (warnings and hints are listed above)',
    );
    t.ok(parsed, 'parsed');
    if (!parsed) return;
    t.equal(parsed.version(), '3.0.0');
    t.equal(parsed.info().version(), '1.2.3');
    t.equal(
      parsed.operations().filterBySend().length,
      7,
      'sends: MES commands, four kinds of order events, partner orders, dead letters',
    );
    t.same(
      parsed
        .operations()
        .filterByReceive()
        .map((o) => o.channels().all()[0]!.address())
        .sort(),
      [
        config.gateway.amqp.queues.crmCommands,
        config.gateway.amqp.queues.crmEvents,
        config.gateway.amqp.queues.mesEvents,
      ].sort(),
      'receives from its three queues',
    );
  });

  t.test(
    `AsyncAPI (${dialect}): every exchange, queue and routing key the gateway uses, and the schemas it validates with`,
    async (t) => {
      const config = configOf(dialect);
      const doc: Doc = asyncApiDocument(config, '1.2.3');
      const { amqp } = config.gateway;
      const channels = Object.values(doc.channels as Record<string, Doc>);
      const topology = topologyOf(amqp);
      const exchangeChannels = new Set(channels.map((c) => c.bindings.amqp.exchange?.name).filter(Boolean));
      t.same(
        topology.exchanges.map((e) => e.name).filter((name) => !exchangeChannels.has(name)),
        [],
        'every declared exchange is a channel',
      );
      for (const queue of topology.queues) {
        const channel = channels.find((c) => c.bindings.amqp.queue?.name === queue.name);
        t.ok(channel, `queue ${queue.name} is a channel`);
        t.same(
          channel?.bindings.amqp['x-bound-to'],
          { exchange: queue.exchange, bindingKey: '#' },
          `${queue.name}: its binding`,
        );
        t.same(channel?.bindings.amqp['x-arguments'], queue.arguments, `${queue.name}: its arguments`);
      }

      // Order events: every routing key routingKeyFor makes lands on exactly one channel.
      const changes: StatusChange[] = [
        ...schemas.orderStatus.enum.map((status) => ({ kind: 'status_changed' as const, status })),
        ...schemas.statusChange.properties.acknowledgement.enum.map((acknowledgement) => ({
          kind: 'acknowledged' as const,
          acknowledgement,
          status: 'accepted',
        })),
        ...schemas.statusChange.properties.attention.enum.flatMap((attention) => [
          { kind: 'attention_raised' as const, attention, status: 'accepted' },
          { kind: 'attention_cleared' as const, attention, status: 'accepted' },
        ]),
      ].map((change) => ({ orderId: 'O-1', occurredAt: '2026-12-01T00:00:00Z', ...change }) as StatusChange);
      for (const change of changes) {
        const key = routingKeyFor(change);
        const found = channelsFor(doc, amqp.exchanges.orderEvents, key);
        t.equal(found.length, 1, `order event ${key}: one channel (${found.join(', ')})`);
        t.ok(
          Object.keys(doc.channels[found[0]!]?.messages ?? {}).some(
            (m) => doc.components.messages[m].name === `dev.orderbridge.order.${change.kind}`,
          ),
          `${key}: its CloudEvents type`,
        );
      }

      // MES commands: the routing key the dialect's templates build for each CRM command.
      const write = mesCommandWriter(config.dialect.commands, () => undefined);
      const crm = {
        messageId: 'crm-1',
        sentAt: '2026-12-01T00:00:00Z',
        orderId: 'O-1',
        partner: 'shop',
        customer: { id: 'C-1', name: 'Acme' },
        lines: [{ sku: 'SKU-1', quantity: 1 }],
      };
      for (const command of [
        { ...crm, type: 'order.create' },
        { messageId: 'crm-2', type: 'order.cancel', sentAt: crm.sentAt, orderId: 'O-1', reason: 'no longer needed' },
        { messageId: 'crm-3', type: 'order.update', sentAt: crm.sentAt, orderId: 'O-1', changes: { priority: 'rush' } },
      ]) {
        const built = write(command as never, 'mes-1', Date.parse(crm.sentAt));
        t.ok(built.ok, `${command.type}: the dialect writes it`);
        if (built.ok)
          t.same(
            channelsFor(doc, amqp.exchanges.mesCommands, built.routingKey),
            ['mesCommands'],
            `${command.type}: routing key ${built.routingKey} is documented`,
          );
      }
      t.same(channelsFor(doc, amqp.exchanges.partnerOrders, 'partner.order.requested'), ['partnerOrders']);
      for (const input of ['crm.command', 'crm.fact', 'mes.event'])
        t.same(channelsFor(doc, amqp.exchanges.deadLetter, input), ['deadLetter'], `dead letters of ${input}`);
      for (const type of ['order.create', 'order.cancel', 'order.update'])
        t.same(channelsFor(doc, amqp.exchanges.crmCommands, type), ['crmCommands']);

      // Schemas: the contracts and the dialect's own, unchanged but for $id/$schema and where references point.
      const strip = (schema: object) =>
        JSON.parse(
          JSON.stringify(schema, (key, value: unknown) => (key === '$id' || key === '$schema' ? undefined : value)),
        );
      const refsOf = (schema: object) => JSON.stringify(schema).match(/"\$ref":"[^"]*"/g) ?? [];
      const component = doc.components.schemas;
      t.same(strip(component.MesEvent), strip(config.dialectSchemas.event), 'the dialect event schema');
      t.same(strip(component.MesCommand), strip(config.dialectSchemas.command), 'the dialect command schema');
      for (const [name, contract] of [
        ['CrmOrderCreate', schemas.crmOrderCreate],
        ['CrmFact', schemas.crmFact],
        ['CrmPartnerOrder', schemas.crmPartnerOrder],
        ['OrderEvent', schemas.orderEvent],
        ['StatusChange', schemas.statusChange],
      ] as const) {
        t.ok(component[name], `${name} is published`);
        t.equal(refsOf(component[name]).length, refsOf(contract).length, `${name}: every reference kept`);
        t.same(
          JSON.parse(JSON.stringify(component[name]).replace(/"\$ref":"[^"]*"/g, '"$ref":""')),
          JSON.parse(JSON.stringify(strip(contract)).replace(/"\$ref":"[^"]*"/g, '"$ref":""')),
          `${name}: the contract as it is`,
        );
      }
      const dangling = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)/g)]
        .map((m) => m[1]!)
        .filter((name) => !component[name]);
      t.same(dangling, [], 'every schema reference has its component');
      t.notOk(JSON.stringify(doc).includes('"$ref":"http'), 'no reference leaves the document');
    },
  );
}

t.test('AsyncAPI: the broker is named by host, port and vhost, never with its credentials', async (t) => {
  const config = configOf('mes/reference', {
    AMQP_URL: 'amqps://orderbridge:s3cr3t-pass@rabbit.internal:5671/plant%2F1',
  });
  const doc: Doc = asyncApiDocument(config, '1.2.3');
  t.notMatch(JSON.stringify(doc), /s3cr3t-pass|orderbridge:/, 'no password or user');
  t.match(doc.servers.rabbitmq, { host: 'rabbit.internal:5671', protocol: 'amqps', pathname: '/plant/1' });
  t.equal(doc.channels.crmCommandsQueue.bindings.amqp.queue.vhost, 'plant/1');
  t.same(brokerUrls(configOf('mes/reference').gateway.amqp), ['amqp://guest:guest@127.0.0.1:5672']);
  t.match(asyncApiDocument(configOf('mes/reference'), '1').servers, {
    rabbitmq: { host: '127.0.0.1:5672', protocol: 'amqp' },
  });
  const cluster: Doc = asyncApiDocument(
    configOf('mes/reference', {
      AMQP_URL: 'amqps://ob:s3cr3t-pass@rabbit-1:5671/p,amqps://ob:s3cr3t-pass@rabbit-2:5671/p',
    }),
    '1',
  );
  t.same(
    Object.values(cluster.servers as Record<string, { host: string }>).map((server) => server.host),
    ['rabbit-1:5671', 'rabbit-2:5671'],
    'a cluster: one server per node',
  );
  t.notMatch(JSON.stringify(cluster), /s3cr3t-pass/);
  const { diagnostics } = await new Parser().parse(JSON.stringify(cluster));
  t.same(diagnostics.filter((d) => d.severity === 0).map(line), [], '@asyncapi/parser reads it with no error');
});

t.test(
  'AsyncAPI: renamed exchanges and queues, classic queues and a computed MES routing key are what the document says',
  async (t) => {
    const base = configOf('mes/reference');
    const config = withGatewayOverrides(base, {
      amqp: {
        queueType: 'classic',
        exchanges: { orderEvents: 'plant1.orders' },
        queues: { mesCommands: 'plant1.mes-in' },
      },
    });
    const computed = {
      ...config,
      dialect: {
        ...config.dialect,
        commands: {
          ...config.dialect.commands,
          'order.create': { ...config.dialect.commands['order.create'], routingKey: { gateway: 'commandType' } },
        },
      },
    } as Config;
    const doc: Doc = asyncApiDocument(computed, '1');
    t.equal(doc.channels.orderStatusChanged.bindings.amqp.exchange.name, 'plant1.orders');
    t.equal(doc.channels.mesCommandsQueue.address, 'plant1.mes-in');
    t.same(doc.channels.mesCommandsQueue.bindings.amqp['x-arguments'], {
      'x-queue-type': 'classic',
      'x-dead-letter-exchange': base.gateway.amqp.exchanges.deadLetter,
    });
    t.equal(doc.channels.mesCommands.address, null, 'a routing key built per command has no fixed address');
    t.match(doc.channels.mesCommands.description, /order\.create → built per command by its template/);
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    t.same(diagnostics.filter((d) => d.severity === 0).map(line), []);
  },
);

t.test('GET /asyncapi.json serves the document', async (t) => {
  const config = configOf('mes/reference');
  const response = await asyncApiRoutes(config, '1.2.3').request('/asyncapi.json');
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.same(await response.json(), asyncApiDocument(config, '1.2.3'));
});
