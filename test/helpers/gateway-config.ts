import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withGatewayOverrides, type DeepPartial } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { defaultConfigDir } from './config-dir.js';

/** The default config (or another shipped dialect) pointed at a test vhost and a throwaway ledger, with overrides merged in. */
export function testConfig(options: { amqpUrl?: string; gateway?: DeepPartial<GatewayConfig>; dialect?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-ledger-'));
  const env = {
    ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}),
    ...(options.dialect ? { ORDERBRIDGE_DIALECT: options.dialect } : {}),
    ORDERBRIDGE_LEDGER_PATH: join(dir, 'ledger.db'),
  };
  const base = loadConfig({ dir: defaultConfigDir, env });
  // Port 0: every in-process gateway gets its own free HTTP and metrics ports.
  const config = withGatewayOverrides(
    withGatewayOverrides(base, { http: { port: 0 }, metrics: { port: 0 } }),
    options.gateway ?? {},
  );
  return {
    config,
    dataDir: dir,
    ledgerPath: join(dir, 'ledger.db'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
