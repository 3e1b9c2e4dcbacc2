// Partner webhooks (Standard Webhooks): signing, the SSRF guard, deliveries and their dispatcher.
export { createSigner, type WebhookSigner, type WebhookHeaders } from './sign.js';
export {
  checkTarget,
  blockedRange,
  systemResolver,
  type CheckedTarget,
  type TargetCheck,
  type ResolveAll,
} from './target-guard.js';
export {
  deliveriesFor,
  enqueue,
  endpointLabel,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
} from './deliveries.js';
export { decideAfterAttempt, retryDelay, type AttemptOutcome } from './retry-policy.js';
export { parseRetryAfter, type AttemptResult } from './post-attempt.js';
export {
  defaultRetrySchedule,
  defaultWebhookSettings,
  webhookSettingsProblems,
  secretProblem,
  type WebhookEndpoint,
  type WebhookSettings,
} from './settings.js';
