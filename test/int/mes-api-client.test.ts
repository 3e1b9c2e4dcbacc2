import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMesApiClient } from '../../src/adapters/mes/api-client.js';

// The reference MES's order look-up, as config/gateway.yaml configures it: the fake MES below speaks it.
const referenceLookup = { path: '/orders', query: 'externalRef', statePointer: '/state' };
t.test('the evidence lookup says known, unknown, or cannot tell', async (t) => {
  const server = createServer((req, res) => {
    const ref = new URL(req.url ?? '/', 'http://x').searchParams.get('externalRef');
    if (ref === 'KNOWN') res.writeHead(200, { 'content-type': 'application/json' }).end('{"externalRef":"KNOWN"}');
    else if (ref === 'SLOW') setTimeout(() => res.writeHead(200).end('{}'), 1000);
    else if (ref === 'BROKEN') res.writeHead(503).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  const client = createMesApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 200, referenceLookup);
  t.equal(await client.knowsOrder('KNOWN'), true);
  t.equal(await client.knowsOrder('NEVER'), false);
  t.equal(await client.knowsOrder('BROKEN'), undefined, 'a 503 is not evidence either way');
  t.equal(await client.knowsOrder('SLOW'), undefined, 'a timeout is not evidence either way');
  t.equal(
    await createMesApiClient('http://127.0.0.1:1', 200, referenceLookup).knowsOrder('X'),
    undefined,
    'nothing listening',
  );
});
