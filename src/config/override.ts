import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import type { Config } from './load-config.js';

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** A copy of the config with some gateway fields replaced (for the demo and tests); the original stays frozen. */
export function withGatewayOverrides(config: Config, patch: DeepPartial<GatewayConfig>): Config {
  const gateway = merge(
    structuredClone(config.gateway) as unknown as Record<string, unknown>,
    patch as Record<string, unknown>,
  );
  return {
    dir: config.dir,
    dialect: config.dialect,
    dialectSchemas: config.dialectSchemas,
    secrets: config.secrets,
    gateway: gateway as unknown as GatewayConfig,
  };
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    const nested =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object';
    target[key] = nested ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return target;
}
