import type { Test } from 'tap';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer } from './amqp-peer.js';
import type { DeepPartial } from '../../src/config/index.js';
import { testConfig } from './gateway-config.js';
import { createVhost } from './vhost.js';

/**
 * The gateway in-process on a fresh vhost and ledger, with a peer to publish and collect on the
 * broker; everything is stopped and removed in the test's teardown.
 */
export async function startTestGateway(
  t: Test,
  options: {
    vhost?: string;
    dialect?: string;
    gateway?: DeepPartial<GatewayConfig>;
    secrets?: Record<string, string>;
    clock?: () => number;
    beforeStart?: (vhostUrl: string, amqp: GatewayConfig['amqp']) => Promise<void>;
  } = {},
) {
  const vhost = createVhost(options.vhost);
  const env = testConfig({
    amqpUrl: vhost.url,
    ...(options.dialect ? { dialect: options.dialect } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
  });
  const config = options.secrets
    ? { ...env.config, secrets: { ...env.config.secrets, ...options.secrets } }
    : env.config;
  await options.beforeStart?.(vhost.url, config.gateway.amqp);
  const gateway = await startGateway({
    config,
    logger: silentLogger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const peer = await amqpPeer(vhost.url);
  t.teardown(async () => {
    await peer.close();
    await gateway.stop();
    vhost.remove();
    env.remove();
  });
  return { gateway, peer, env, amqp: config.gateway.amqp };
}

/**
 * How many messages the gateway's consumers have acked. The count goes up only after a handler
 * returned, so every publish of an acked message was confirmed by the broker before it.
 */
export async function messagesAcked(gateway: Pick<Gateway, 'metrics'>): Promise<number> {
  const { values } = await gateway.metrics.messagesConsumed.get();
  return values.filter((v) => v.labels.outcome === 'ack').reduce((sum, v) => sum + v.value, 0);
}
