export { createMesApiClient, type MesApiClient } from './api-client.js';
export {
  createMesReadProxy,
  type MesReadProxy,
  type MesReadProxyOptions,
  type MesReadProxyStats,
  type ProxyAnswer,
  type ReadOptions,
} from './read-proxy.js';
export { mesProxyRoutes, mesRoutePath, unknownMesRoute } from './proxy-routes.js';
export type { BreakerState } from './mes-caller.js';
