import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withGatewayOverrides, type DeepPartial } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { defaultConfigDir } from './config-dir.js';

/** The default config pointed at a test vhost and a throwaway ledger, with overrides merged in. */
export function testConfig(options: { amqpUrl?: string; gateway?: DeepPartial<GatewayConfig> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-ledger-'));
  const base = loadConfig({ dir: defaultConfigDir, env: { ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}), ORDERBRIDGE_LEDGER_PATH: join(dir, 'ledger.db') } });
  // Port 0: every in-process gateway gets its own free HTTP and metrics ports.
  const config = withGatewayOverrides(withGatewayOverrides(base, { http: { port: 0 }, metrics: { port: 0 } }), options.gateway ?? {});
  return { config, dataDir: dir, ledgerPath: join(dir, 'ledger.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
