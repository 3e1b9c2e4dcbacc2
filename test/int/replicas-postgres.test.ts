// Three in-process gateways on one PostgreSQL database and one vhost, as replicas behind a load balancer.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { amqpPeer } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { startReplicas } from '../helpers/replicas.js';

// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers.
const json = async (response: Response): Promise<any> => response.json();
const order = { reference: 'PO-1', customer: { id: 'C-1', name: 'Kunde' }, lines: [{ sku: 'S-1', quantity: 1 }] };

t.test('100 concurrent identical POSTs spread over 3 gateways make one order and one CRM message', async (t) => {
  const { gateways, call, url, amqpUrl } = await startReplicas(t, 3);
  const peer = await amqpPeer(amqpUrl);
  t.teardown(() => peer.close());
  const { queues } = testConfig().config.gateway.amqp;
  const toCrm = await peer.collect(queues.crmPartnerOrders);
  const idempotencyKey = randomUUID();
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      call(gateways[i % 3]!, '/v1/orders', {
        method: 'POST',
        body: JSON.stringify(order),
        headers: { 'idempotency-key': idempotencyKey },
      }),
    ),
  );
  const statuses = responses.map((r) => r.status);
  t.ok(
    statuses.every((s) => s === 202 || s === 409),
    `only 202 and 409: ${[...new Set(statuses)].join(', ')}`,
  );
  const ids = new Set(
    await Promise.all(responses.filter((r) => r.status === 202).map(async (r) => (await json(r)).id)),
  );
  t.equal(ids.size, 1, 'every accepted answer names the same order');
  await peer.fence(queues.crmPartnerOrders);
  t.equal(toCrm.length, 1, 'exactly one message to the CRM');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  t.teardown(() => db.end());
  t.equal((await db.query('SELECT COUNT(*)::int AS n FROM orders')).rows[0].n, 1, 'one order in the ledger');
});
