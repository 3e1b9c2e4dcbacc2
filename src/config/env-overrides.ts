/** The environment variables the gateway honours, and the gateway.yaml field each one replaces. */
export const envOverrides = [
  { name: 'AMQP_URL', path: ['amqp', 'url'], type: 'string' },
  { name: 'ORDERBRIDGE_LEDGER_PATH', path: ['ledger', 'path'], type: 'string' },
  { name: 'DATABASE_URL', path: ['ledger', 'url'], type: 'string' },
  { name: 'ORDERBRIDGE_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { name: 'ORDERBRIDGE_HTTP_PORT', path: ['http', 'port'], type: 'integer' },
  { name: 'ORDERBRIDGE_METRICS_HOST', path: ['metrics', 'host'], type: 'string' },
  { name: 'ORDERBRIDGE_METRICS_PORT', path: ['metrics', 'port'], type: 'integer' },
  { name: 'MES_API_URL', path: ['mesApi', 'baseUrl'], type: 'string' },
  { name: 'ORDERBRIDGE_DIALECT', path: ['dialect'], type: 'string' },
] as const;

export type Env = Readonly<Record<string, string | undefined>>;

export interface AppliedOverride {
  name: string;
  pointer: string;
}

/** Writes the set variables into the parsed gateway document; returns which fields they now own. */
export function applyEnvOverrides(document: Record<string, unknown>, env: Env): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const { name, path, type } of envOverrides) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    let node = document;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
    applied.push({ name, pointer: `/${path.join('/')}` });
  }
  return applied;
}
