import { Hono } from 'hono';
import type { LedgerStore } from '../../ledger/index.js';
import { NotReady } from './problems.js';
import { errorMessage } from '../../shared/error-message.js';

export interface Readiness {
  brokerConnected(): boolean;
  /** The RabbitMQ node the gateway is connected to (host:port), for operators of a cluster. */
  brokerNode?(): string | undefined;
}

/** /healthz: the process answers. /readyz: it can do its job (broker connected, ledger writable), and on which node. */
export function healthRoutes(ledger: LedgerStore, readiness: Readiness): Hono {
  const routes = new Hono();
  routes.get('/healthz', (c) => c.json({ status: 'ok' }));
  routes.get('/readyz', async (c) => {
    if (!readiness.brokerConnected()) throw new NotReady('Not connected to RabbitMQ; reconnecting.');
    try {
      await ledger.checkWritable();
    } catch (error) {
      throw new NotReady(`The ledger cannot be written: ${errorMessage(error)}`);
    }
    const node = readiness.brokerNode?.();
    return c.json({ status: 'ready', ...(node ? { broker: { node } } : {}) });
  });
  return routes;
}
