import type { GatewayConfig } from '../contracts/generated/config/gateway.js';

/** The broker nodes to connect to, in order: `amqp.urls`, or `amqp.url` as a list of one (the schema requires one of them). */
export function brokerUrls(amqp: Pick<GatewayConfig['amqp'], 'url' | 'urls'>): string[] {
  return amqp.urls ?? (amqp.url ? [amqp.url] : []);
}
