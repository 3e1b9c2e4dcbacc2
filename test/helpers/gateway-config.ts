import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { defaultConfigDir } from './config-dir.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** The default config pointed at a test vhost and a throwaway ledger, with overrides merged in. */
export function testConfig(options: { amqpUrl?: string; gateway?: DeepPartial<GatewayConfig> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-ledger-'));
  const base = loadConfig({ dir: defaultConfigDir, env: { ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}), ORDERBRIDGE_LEDGER_PATH: join(dir, 'ledger.db') } });
  const gateway = merge(structuredClone(base.gateway) as unknown as Record<string, unknown>, (options.gateway ?? {}) as Record<string, unknown>) as unknown as GatewayConfig;
  const config: Config = { dir: base.dir, mapping: base.mapping, gateway };
  return { config, dataDir: dir, ledgerPath: join(dir, 'ledger.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    target[key] = value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return target;
}
