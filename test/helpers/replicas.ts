// Several in-process gateways on one fresh PostgreSQL database, as replicas behind a load balancer:
// each started as test/helpers/test-gateway.ts starts one, its ledger URL set to that database.
import { createHash, randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import type { DeepPartial } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { testConfig } from './gateway-config.js';
import { freshDatabase } from './postgres.js';
import { createVhost } from './vhost.js';

export const partnerKey = randomBytes(24).toString('base64url');
export const partner = {
  id: 'alpha',
  name: 'Alpha',
  apiKeySha256: createHash('sha256').update(partnerKey).digest('hex'),
};

/**
 * `count` gateways on one database; on one fresh vhost, or with `broker: 'none'` on a broker URL
 * nothing answers (they serve partners' reads from the ledger while they keep trying to connect).
 */
export async function startReplicas(
  t: Test,
  count: number,
  { gateway = {}, broker = 'vhost' }: { gateway?: DeepPartial<GatewayConfig>; broker?: 'vhost' | 'none' } = {},
) {
  const url = await freshDatabase(t);
  let amqpUrl = 'amqp://guest:guest@127.0.0.1:1/none';
  if (broker === 'vhost') {
    const vhost = await createVhost();
    t.teardown(() => vhost.remove());
    amqpUrl = vhost.url;
  }
  const gateways: Gateway[] = [];
  for (let i = 0; i < count; i++) {
    const env = testConfig({
      amqpUrl,
      gateway: {
        partners: [{ ...partner, requestsPerSecond: 10_000 }],
        ...gateway,
        ledger: { driver: 'postgres', url },
      },
    });
    const started = await startGateway({ config: env.config, logger: silentLogger, waitForBroker: broker === 'none' });
    t.teardown(async () => {
      await started.stop();
      env.remove();
    });
    gateways.push(started);
  }
  const call = (g: Gateway, path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${g.http.port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${partnerKey}`, 'content-type': 'application/json', ...init.headers },
    });
  return { gateways, call, url, amqpUrl };
}

/** Resolves when the gateway's ledger hears of a change to `orderId`, whoever made it. */
export const heardBy = (g: Pick<Gateway, 'ledger'>, orderId: string) =>
  new Promise<void>((resolve) => {
    const stop = g.ledger.onOrderChanged((id) => {
      if (id !== orderId) return;
      stop();
      resolve();
    });
  });
