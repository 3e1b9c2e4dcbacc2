import type { Test } from 'tap';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { silentLogger, type Logger } from '../../src/telemetry/logger.js';
import { amqpPeer } from './amqp-peer.js';
import type { DeepPartial } from '../../src/config/index.js';
import { testConfig } from './gateway-config.js';
import { createVhost } from './vhost.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { mesEvent } from '../fixtures/mes-events.js';

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
    /** The gateway's logger (silent by default). */
    logger?: Logger;
    beforeStart?: (vhostUrl: string, amqp: GatewayConfig['amqp']) => Promise<void>;
  } = {},
) {
  const vhost = await createVhost(options.vhost);
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
    logger: options.logger ?? silentLogger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const peer = await amqpPeer(vhost.url);
  t.teardown(async () => {
    await peer.close();
    await gateway.stop();
    await vhost.remove();
    env.remove();
  });
  return { gateway, peer, env, vhost, amqp: config.gateway.amqp };
}

/**
 * How many messages the gateway's consumers have acked. The count goes up only after a handler
 * returned, so every publish of an acked message was confirmed by the broker before it.
 */
export async function messagesAcked(gateway: Pick<Gateway, 'metrics'>): Promise<number> {
  const { values } = await gateway.metrics.messagesConsumed.get();
  return values.filter((v) => v.labels.outcome === 'ack').reduce((sum, v) => sum + v.value, 0);
}

/**
 * The gateway (as startTestGateway starts it) with one partner, `alpha`, whose order events go to
 * the webhook at `webhookUrl`, signed with `secret`, checked and retried every 100 ms.
 */
export function startGatewayWithWebhookPartner(t: Test, vhost: string, webhookUrl: string, secret: string) {
  return startTestGateway(t, {
    vhost,
    gateway: {
      partners: [
        {
          id: 'alpha',
          name: 'Alpha',
          apiKeySha256: 'a'.repeat(64),
          requestsPerSecond: 100,
          webhooks: [{ url: webhookUrl, secretEnv: 'ALPHA_WEBHOOK_SECRET', allowPrivateTargets: true }],
        },
      ],
      webhooks: { checkInterval: '100ms', retrySchedule: ['100ms'] },
    },
    secrets: { ALPHA_WEBHOOK_SECRET: secret },
  });
}

/**
 * The CRM creates order `orderId` for partner alpha and the (reference) MES accepts it: two order
 * events follow, received and accepted.
 */
export async function createAndAcceptOrder(
  { peer, amqp }: Pick<Awaited<ReturnType<typeof startTestGateway>>, 'peer' | 'amqp'>,
  orderId: string,
): Promise<void> {
  await peer.publish(amqp.exchanges.crmCommands, 'order.create', {
    messageId: `crm-${orderId}`,
    type: 'order.create',
    sentAt: new Date().toISOString(),
    orderId,
    partner: 'alpha',
    customer: { id: 'C', name: 'C' },
    lines: [{ sku: 'S', quantity: 1 }],
  });
  await peer.publish(
    amqp.exchanges.mesEvents,
    'ORDER_STATE_CHANGED',
    mesEvent('ACCEPTED', {
      orderId,
      eventId: `ev-${orderId}`,
      at: new Date().toISOString(),
      correlationId: mesCommandId(`crm-${orderId}`),
    }),
  );
}
