import { pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceIds } from './tracing.js';

export type { Logger };

/** Structured JSON logs. Anything that could carry a secret is redacted, whoever logs it. */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'orderbridge',
      level: options.level ?? 'info',
      // trace_id/span_id of the active span on every line logged inside one (none with tracing off).
      mixin: activeTraceIds,
      redact: {
        paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'password', '*.password', 'url', '*.url'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

/** A logger that drops everything: the default in unit tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
