import { Webhook } from 'standardwebhooks';
import { secretProblem } from './settings.js';

/** The three Standard Webhooks headers of one attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface WebhookSigner {
  /** Headers for one attempt at `now` (ms); the id stays the same on every attempt of an event. */
  sign(id: string, now: number, body: string): WebhookHeaders;
}

/**
 * Standard Webhooks v1 (symmetric): `v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the
 * decoded `whsec_` secret, computed by the reference library so the receivers' verifiers agree
 * byte for byte. The timestamp is the attempt's, in whole seconds: a retry is signed afresh, so a
 * receiver's replay window (5 min in the reference verifier) never rejects a late retry.
 */
export function createSigner(secret: string): WebhookSigner {
  const problem = secretProblem(secret);
  // The message names neither the secret nor any part of it.
  if (problem) throw new Error(`webhook secret ${problem}`);
  const webhook = new Webhook(secret);
  return {
    sign(id, now, body) {
      if (!id) throw new Error('a webhook needs an id');
      const at = new Date(Math.floor(now / 1000) * 1000);
      return {
        'webhook-id': id,
        'webhook-timestamp': String(at.getTime() / 1000),
        'webhook-signature': webhook.sign(id, at, body),
      };
    },
  };
}
