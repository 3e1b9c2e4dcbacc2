/** The environment variables the gateway honours, and the gateway.yaml field each one replaces. */
export const envOverrides = [
  { name: 'AMQP_URL', path: ['amqp', 'url'], type: 'amqpUrls' },
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
    const parent = parentOf(document, path);
    if (type === 'amqpUrls') {
      applied.push({ name, pointer: `/${path.slice(0, -1).join('/')}/${replaceAmqpUrls(parent, raw)}` });
      continue;
    }
    parent[path[path.length - 1]!] = type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    applied.push({ name, pointer: `/${path.join('/')}` });
  }
  return applied;
}

function parentOf(document: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  let node = document;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  return node;
}

/**
 * AMQP_URL replaces the file's broker list whichever way the file gives it: one URL becomes `url`,
 * several (comma-separated) become `urls`. Returns the field it wrote.
 */
function replaceAmqpUrls(amqp: Record<string, unknown>, raw: string): 'url' | 'urls' {
  const urls = raw.split(',').map((url) => url.trim());
  delete amqp.url;
  delete amqp.urls;
  if (urls.length === 1) amqp.url = urls[0];
  else amqp.urls = urls;
  return urls.length === 1 ? 'url' : 'urls';
}
