import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { errorMessage } from '../shared/error-message.js';

export { SpanKind, SpanStatusCode, type Context, type Span };

/**
 * Spans through @opentelemetry/api. Until tracing is enabled (src/telemetry/otel-register.ts does it
 * after starting the SDK, only when the OTEL_* environment asks for it) every function here returns
 * at once: no span object, no context switch, no propagation.
 */
const tracer = trace.getTracer('orderbridge');
const noSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
let enabled = false;

/** Called once an OpenTelemetry SDK is registered: from then on spans are made and propagated. */
export function enableTracing(): void {
  enabled = true;
}

/** Whether spans are being made (for hot paths that skip building a span's inputs when not). */
export const tracingEnabled = (): boolean => enabled;

type Carrier = Record<string, unknown>;

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/** The trace context a message or request carries (W3C traceparent/tracestate), or none. */
export function contextFrom(headers: Carrier | undefined): Context {
  return enabled && headers ? propagation.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
}

/**
 * The headers that carry the active trace context to the next hop (an MES call, a webhook POST, a
 * message published for an HTTP request). Where nothing is active (tracing off), those of
 * `passThrough` travel on unchanged instead (the simulators pass on what they were sent this way).
 */
export function traceHeaders(passThrough?: Carrier): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (enabled) propagation.inject(context.active(), carrier);
  if (!carrier.traceparent && typeof passThrough?.traceparent === 'string') {
    carrier.traceparent = passThrough.traceparent;
    if (typeof passThrough.tracestate === 'string') carrier.tracestate = passThrough.tracestate;
  }
  return carrier;
}

/**
 * A span for one hop of a message (a delivery processed, a publish), a child of `parent`, when the
 * SDK records it; undefined when tracing is off or the sampler drops it. It is never made active: the
 * message path passes its trace context in the message's headers (headersNaming), not through
 * AsyncLocalStorage. A span not recorded costs one sampler decision: no attributes, no context, no
 * header of its own (the message goes on with the trace context it came with, as with tracing off).
 */
export function startRecordedSpan(name: string, kind: SpanKind, parent: Context): Span | undefined {
  if (!enabled) return undefined;
  const span = tracer.startSpan(name, { kind }, parent);
  return span.isRecording() ? span : undefined;
}

/**
 * The trace context a message being published continues: given headers (a delivery's, passed on),
 * the one they carry; given none, the active one (an HTTP request's). No trace context, no span: a
 * message whose handling was not recorded, or the watchdog's housekeeping, begins no trace there.
 */
export function publishParent(headers: Carrier | undefined): Context | undefined {
  const parent = headers ? contextFrom(headers) : context.active();
  return trace.getSpanContext(parent) ? parent : undefined;
}

/**
 * The headers that make `span` the parent of the next hop, with what else `parent` carries (W3C
 * baggage): the configured propagators', W3C trace context and baggage by default.
 */
export function headersNaming(span: Span, parent: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return carrier;
}

/**
 * Runs `work` in a new span (a child of `parent`, or of the active context), ends it when `work`
 * settles and records a thrown error on it.
 */
export function inSpan<T>(
  name: string,
  options: { kind: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return work(noSpan);
  const spanOptions = { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) };
  return tracer.startActiveSpan(name, spanOptions, options.parent ?? context.active(), (span) =>
    endedWith(span, async () => work(span)),
  );
}

/**
 * Runs `work` in a server span continuing the caller's trace context (`carrier` is read only when
 * tracing is on). Its result, synchronous or not, is returned as it is: a route that answers
 * synchronously (a cached read) stays synchronous with tracing on. A request the sampler drops makes
 * nothing active unless the caller sent a trace context, which is then made active as it came, for
 * what the request sends on: AsyncLocalStorage's hooks cost a cached read ~2.5 µs (bench/RESULTS-proxy.md).
 */
export function inServerSpan<T>(
  name: string,
  carrier: () => Carrier,
  work: (span: Span) => T | Promise<T>,
): T | Promise<T> {
  if (!enabled) return work(noSpan);
  const parent = contextFrom(carrier());
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) return context.with(trace.setSpan(parent, span), () => endedWith(span, () => work(span)));
  return trace.getSpanContext(parent) ? context.with(parent, () => work(span)) : work(span);
}

/**
 * `inSpan` for a call made on behalf of the request or message being handled (an MES call): a child
 * of the active span when that one is recorded, and no span otherwise, so a request the sampler
 * dropped passes its caller's trace context on unchanged (traceHeaders), and a timer's housekeeping
 * does not begin a trace of its own there.
 */
export function inChildSpan<T>(
  name: string,
  options: { kind: SpanKind; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled || !recordingSpanActive()) return work(noSpan);
  return inSpan(name, options, work);
}

/**
 * `run`'s result, with `span` ended once it is there (a promise: settled); a failure is recorded on
 * the span, with the `error.type` the semantic conventions require of a failed operation.
 */
export function endedWith<R>(span: Span, run: () => R): R {
  const failed = (error: unknown): never => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setAttribute('error.type', error instanceof Error ? error.name : '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    span.end();
    throw error;
  };
  let result: R;
  try {
    result = run();
  } catch (error) {
    return failed(error);
  }
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then((value: unknown) => {
    span.end();
    return value;
  }, failed) as R;
}

/**
 * A span the caller ends, for work that does not fit one callback: a child of the active span when
 * that one is recorded, or none (so a timer's housekeeping does not start a trace of its own every tick).
 */
export function startChildSpan(name: string, kind: SpanKind, attributes?: Attributes): Span | undefined {
  if (!enabled || !recordingSpanActive()) return undefined;
  return tracer.startSpan(name, { kind, ...(attributes ? { attributes } : {}) });
}

const recordingSpanActive = (): boolean => trace.getSpan(context.active())?.isRecording() === true;

/** The active span's ids for log lines (pino mixin), when a recording span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | Record<string, never> {
  if (!enabled) return {};
  const span = trace.getSpan(context.active());
  if (!span?.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * The trace id an answer quotes (a 500's problem details): the active span's; with tracing off,
 * or outside a span, the one of the caller's `traceparent` when it is valid; otherwise none.
 */
export function answerTraceId(traceparent: string | undefined): string | undefined {
  const active = enabled ? trace.getSpan(context.active())?.spanContext() : undefined;
  return active && isSpanContextValid(active) ? active.traceId : traceIdOf(traceparent);
}

// W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case hex; a later version may append fields.
const traceparentFormat = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const allZeros = /^0+$/;

/** The trace id of a traceparent header, or undefined when the header is not a valid one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return idsOf(traceparent)?.traceId;
}

/**
 * The ids a message's traceparent names, for the log lines written while it is handled: the message
 * path makes no context active (startRecordedSpan), so the logger's mixin cannot find them.
 */
export function traceIdsOf(
  headers: Carrier | undefined,
): { trace_id: string; span_id: string } | Record<string, never> {
  const traceparent = headers?.traceparent;
  const ids = typeof traceparent === 'string' ? idsOf(traceparent) : undefined;
  return ids ? { trace_id: ids.traceId, span_id: ids.parentId } : {};
}

function idsOf(traceparent: string | undefined): { traceId: string; parentId: string } | undefined {
  const match = traceparent === undefined ? null : traceparentFormat.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, rest] = match as unknown as [string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  return allZeros.test(traceId) || allZeros.test(parentId) ? undefined : { traceId, parentId };
}

/** Exports what is buffered (before the process exits); a no-op when tracing is off. */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}
