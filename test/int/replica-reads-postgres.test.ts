// Partner reads from gateways on one PostgreSQL database: what one gateway keeps in memory of an
// order is dropped by another's change, and each allows its share of a partner's rate. Reads need
// no broker: these gateways run with none (they keep trying to connect meanwhile).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Gateway } from '../../src/gateway.js';
import { heardBy, partner, startReplicas } from '../helpers/replicas.js';

// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers.
const json = async (response: Response): Promise<any> => response.json();

t.test("an order and its MES read, cached by one gateway, are read fresh there after another's change", async (t) => {
  let mesCalls = 0;
  const mes = createServer((_req, res) => {
    mesCalls += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ state: `S-${mesCalls}` }));
  });
  await new Promise<void>((resolve) => mes.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => mes.close(resolve)));
  const baseUrl = `http://127.0.0.1:${(mes.address() as AddressInfo).port}`;
  const { gateways, call } = await startReplicas(t, 2, { gateway: { mesApi: { baseUrl } }, broker: 'none' });
  const [a, b] = gateways as [Gateway, Gateway];
  const id = 'ORD-R1';
  const created = heardBy(a, id);
  await b.ledger.submitPartnerOrder(
    {
      partner: partner.id,
      idempotencyKey: randomUUID(),
      requestHash: 'h',
      orderId: id,
      crm: { messageId: `crm-${id}`, routingKey: 'partner.order.requested', payload: '{}' },
    },
    Date.now(),
  );
  await created;
  const read = async (path: string) => {
    const response = await call(a, path);
    return { body: await json(response), cache: response.headers.get('cache-status') ?? '' };
  };
  t.equal((await read(`/v1/orders/${id}`)).body.status, 'received');
  t.equal((await read(`/mes/orders/${id}`)).body.state, 'S-1');
  t.match((await read(`/mes/orders/${id}`)).cache, /hit/, "A keeps the MES's answer");
  const told = heardBy(a, id);
  await b.ledger.recordCrmFact(
    {
      messageId: `f-${id}`,
      type: 'order.delivered',
      orderId: id,
      status: 'delivered',
      occurredAt: new Date().toISOString(),
    },
    Date.now(),
  );
  await told;
  t.equal((await read(`/v1/orders/${id}`)).body.status, 'delivered', "A's order resource shows B's change");
  const mesRead = await read(`/mes/orders/${id}`);
  t.equal(mesRead.body.state, 'S-2', "A asks the MES again after B's change");
  t.notMatch(mesRead.cache, /hit/);
});

t.test(
  "with http.replicas: 2, each of two gateways allows half a partner's rate: together the rate configured",
  async (t) => {
    const { gateways, call } = await startReplicas(t, 2, {
      gateway: { http: { replicas: 2 }, partners: [{ ...partner, requestsPerSecond: 10 }] },
      broker: 'none',
    });
    const statuses = await Promise.all(
      gateways.map(async (g) =>
        (await Promise.all(Array.from({ length: 10 }, () => call(g, '/v1/orders')))).map((r) => r.status),
      ),
    );
    for (const [i, answered] of statuses.entries())
      t.same(
        [answered.filter((s) => s === 200).length, answered.filter((s) => s === 429).length],
        [5, 5],
        `gateway ${i + 1}: 5 answered, 5 refused (429) in one second`,
      );
  },
);
