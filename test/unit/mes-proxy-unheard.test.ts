// While the ledger cannot tell of every order change (another gateway's, its feed down), the MES
// read proxy must not answer an order read from its cache as fresh.
import t from 'tap';
import { createMesReadProxy } from '../../src/adapters/mes/index.js';
import { loadConfig, withGatewayOverrides } from '../../src/config/index.js';
import { defaultConfigDir } from '../helpers/config-dir.js';

const defaults = loadConfig({ dir: defaultConfigDir, env: {} });
const mesApi = withGatewayOverrides(defaults, { mesApi: { baseUrl: 'http://mes.test', cache: { ttl: '30s' } } }).gateway
  .mesApi;

t.test('order reads go to the MES while changes go unheard, and every kept order read is invalidated', async (t) => {
  let calls = 0;
  const fetch = (async () => {
    calls += 1;
    return new Response(JSON.stringify({ state: `S-${calls}` }), { headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  let heard = true;
  const proxy = createMesReadProxy({
    mesApi,
    orderLookup: defaults.dialect.api!.orderLookup!,
    fetch,
    changesHeard: () => heard,
  });
  t.teardown(() => proxy.close());
  const state = async (id: string) => JSON.parse((await proxy.readOrder(id)).body.toString()).state;
  t.equal(await state('ORD-1'), 'S-1');
  t.equal(await state('ORD-1'), 'S-1', 'kept while every change is heard');
  heard = false;
  t.equal(await state('ORD-1'), 'S-2', 'asked again while changes go unheard');
  t.equal(await state('ORD-1'), 'S-3', 'every time');
  // Back: the ledger calls its `missed` listeners, which the gateway points at invalidateAllOrders.
  heard = true;
  t.equal(await state('ORD-2'), 'S-4');
  proxy.invalidateAllOrders();
  t.equal(await state('ORD-1'), 'S-5', 'invalidateAllOrders ends every order read');
  t.equal(await state('ORD-2'), 'S-6');
  t.equal(await state('ORD-1'), 'S-5', 'and answers are kept again');
});
