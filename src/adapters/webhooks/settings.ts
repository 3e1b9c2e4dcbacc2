import type { OrderEvent } from '../../contracts/generated/external/order-event.js';

/** One partner endpoint. The URL is the endpoint's identity in the ledger (deliveries, disabled list). */
export interface WebhookEndpoint {
  partner: string;
  url: string;
  /** Standard Webhooks symmetric secret: `whsec_` + base64 of 24–64 random bytes. Never logged. */
  secret: string;
  /** Let this endpoint resolve to loopback, private, link-local or metadata addresses (tests, on-premise partners). */
  allowPrivateTargets?: boolean;
  /** Only these CloudEvent types go to the endpoint; all when absent. */
  eventTypes?: OrderEvent['type'][];
}

export interface WebhookSettings {
  endpoints: WebhookEndpoint[];
  /** Whole attempt: DNS, connect, TLS, request and the first bytes of the answer. */
  timeoutMs: number;
  /** Attempts in flight at once, over all endpoints. */
  maxConcurrent: number;
  /** Attempts in flight at once to one endpoint, so a slow endpoint cannot take every slot; default maxConcurrent / 4 (at least 1). */
  maxConcurrentPerEndpoint?: number;
  /**
   * Delay caps before each retry: the n-th retry waits a random time in [0, schedule[n-1]] (full
   * jitter). One first attempt plus schedule.length retries in all; then the delivery is failed.
   */
  schedule: number[];
  /** Every endpoint may reach private targets (a test or lab setting; never in production). */
  allowPrivateTargets?: boolean;
}

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/** 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 6 h, 8 h: retries end about 24 h after the first attempt at most. */
export const defaultRetrySchedule: readonly number[] = [
  5 * second,
  30 * second,
  2 * minute,
  10 * minute,
  hour,
  3 * hour,
  6 * hour,
  6 * hour,
  8 * hour,
];

export const defaultWebhookSettings = {
  timeoutMs: 15 * second,
  maxConcurrent: 16,
  schedule: defaultRetrySchedule,
} as const;

/** Problems with the settings, each naming the endpoint by index and partner (never by secret); empty when fine. */
export function webhookSettingsProblems(settings: WebhookSettings): string[] {
  const problems: string[] = [];
  if (!(settings.timeoutMs > 0)) problems.push('timeoutMs must be positive');
  if (!Number.isInteger(settings.maxConcurrent) || settings.maxConcurrent < 1)
    problems.push('maxConcurrent must be an integer ≥ 1');
  if (settings.schedule.some((ms) => !(ms >= 0))) problems.push('schedule entries must be durations ≥ 0');
  const seen = new Set<string>();
  settings.endpoints.forEach((endpoint, i) => {
    const where = `endpoints[${i}] (partner ${endpoint.partner})`;
    let url: URL | undefined;
    try {
      url = new URL(endpoint.url);
    } catch {
      problems.push(`${where}: url is not a URL`);
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
      problems.push(`${where}: url must be http(s), not ${url.protocol}`);
    if (url && (url.username || url.password))
      problems.push(`${where}: url must not carry credentials; the signature authenticates the gateway`);
    const secret = secretProblem(endpoint.secret);
    if (secret) problems.push(`${where}: secret ${secret}`);
    if (seen.has(endpoint.url)) problems.push(`${where}: url is listed twice; one endpoint, one entry`);
    seen.add(endpoint.url);
  });
  return problems;
}

/** Why a secret is unusable, or undefined. The spec asks for 24 to 64 random bytes, base64, prefixed `whsec_`. */
export function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith('whsec_')) return 'must start with whsec_';
  const base64 = secret.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0)
    return 'must be whsec_ followed by standard base64';
  const bytes = Buffer.from(base64, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must hold 24 to 64 bytes (it holds ${bytes})`;
  return undefined;
}
