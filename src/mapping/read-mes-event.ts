import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { describe, readText, readTime } from './coerce.js';
import { pointerReader } from './json-pointer.js';

/** The fields Orderbridge needs from any MES state change, read by the dialect's paths. */
export interface MesEventFields {
  eventId: string;
  orderId: string;
  state: string;
  /** ISO 8601 with an offset. */
  occurredAt: string;
  correlationId?: string;
  reason?: string;
}

/** One state change read from an MES message, with the MES's own event type. */
export interface MesChange {
  fields: MesEventFields;
  type: string;
}

export type ReadMesEventResult = { ok: true; changes: MesChange[] } | { ok: false; problems: string[] };

type EventReading = DialectConfig['events'];
type Field = keyof MesEventFields | 'type';
type Read = (document: unknown) => unknown;

/** The type recorded for an MES event when the dialect reads none. */
export const untypedEvent = 'mes.event';

/**
 * Compiles the dialect's event reading once: a function from one (schema-valid) MES message to its
 * state changes — one, or one per element of events.changes — each with the values coerced as the
 * dialect says (numeric codes as text, epoch or ISO times as ISO UTC).
 */
export function mesEventReader(events: EventReading): (message: unknown) => ReadMesEventResult {
  const message = readersOf(events.paths);
  if (!events.changes) return (document) => collect([readChange(events, message, {}, document, document)]);
  const { path, paths } = events.changes;
  const list = pointerReader(path);
  const change = readersOf(paths);
  return (document) => {
    const changes = list(document);
    if (!Array.isArray(changes) || changes.length === 0)
      return { ok: false, problems: [`changes: expected a non-empty array at ${path}, found ${describe(changes)}`] };
    return collect(changes.map((element, index) => readChange(events, message, change, document, element, index)));
  };
}

/** Reads a message that must hold exactly one state change (tests and tools over single events). */
export function readMesEvent(
  document: unknown,
  events: EventReading,
): { ok: true; fields: MesEventFields; type: string } | { ok: false; problems: string[] } {
  const read = mesEventReader(events)(document);
  if (!read.ok) return read;
  return read.changes.length === 1
    ? { ok: true, ...read.changes[0]! }
    : { ok: false, problems: [`expected one state change, found ${read.changes.length}`] };
}

type Readers = Partial<Record<Field, { pointer: string; read: Read }>>;

function readersOf(paths: Partial<Record<Field, string>>): Readers {
  return Object.fromEntries(
    Object.entries(paths).map(([field, pointer]) => [field, { pointer, read: pointerReader(pointer) }]),
  );
}

function readChange(
  events: EventReading,
  message: Readers,
  change: Readers,
  document: unknown,
  element: unknown,
  index?: number,
): { ok: true; change: MesChange } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const where = index === undefined ? '' : `changes[${index}].`;
  const raw = (field: Field) => {
    const own = change[field];
    if (own) return { pointer: `${events.changes!.path}/${index}${own.pointer}`, value: own.read(element) };
    const shared = message[field];
    return shared ? { pointer: shared.pointer, value: shared.read(document) } : undefined;
  };
  const text = (field: 'eventId' | 'orderId' | 'state' | 'correlationId' | 'reason' | 'type', required: boolean) => {
    const found = raw(field);
    if (!found) {
      if (required)
        problems.push(
          `${where}${field}: the dialect reads it nowhere (fix: a path in events.paths or events.changes.paths)`,
        );
      return undefined;
    }
    const value = readText(found.value, field === 'reason' || field === 'type' ? {} : events.values?.[field]);
    if (required && !value)
      problems.push(
        `${where}${field}: expected a non-empty string or number at ${found.pointer}, found ${describe(found.value)}`,
      );
    return value || undefined;
  };
  // A change without its own id is told apart from its siblings by its place in the message.
  const ownId = text('eventId', true);
  const eventId = ownId === undefined || change.eventId || index === undefined ? ownId : `${ownId}/${index}`;
  const orderId = text('orderId', true);
  const state = text('state', true);
  const time = raw('occurredAt');
  const occurredAt = time && readTime(time.value, events.values?.occurredAt?.time);
  if (!time)
    problems.push(
      `${where}occurredAt: the dialect reads it nowhere (fix: a path in events.paths or events.changes.paths)`,
    );
  else if (!occurredAt!.ok) problems.push(`${where}occurredAt: at ${time.pointer}: ${occurredAt!.problem}`);
  const correlationId = text('correlationId', false);
  const reason = text('reason', false);
  const type = text('type', false) ?? untypedEvent;
  if (problems.length || !eventId || !orderId || !state || !occurredAt?.ok) return { ok: false, problems };
  const fields: MesEventFields = {
    eventId,
    orderId,
    state,
    occurredAt: occurredAt.iso,
    ...(correlationId ? { correlationId } : {}),
    ...(reason ? { reason } : {}),
  };
  return { ok: true, change: { fields, type } };
}

function collect(results: ReturnType<typeof readChange>[]): ReadMesEventResult {
  const problems = results.flatMap((r) => (r.ok ? [] : r.problems));
  return problems.length
    ? { ok: false, problems }
    : { ok: true, changes: results.map((r) => (r as { ok: true; change: MesChange }).change) };
}
