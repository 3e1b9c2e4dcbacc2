import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { acknowledgedBy } from './acknowledgement.js';
import { allowedList, closest, token, type DialectFinding } from './dialect-finding.js';
import {
  anyItem,
  propertyNamesAt,
  rootPlace,
  stepPlace,
  typesAt,
  walkPointer,
  type JsonType,
  type Place,
  type SchemaRegistry,
} from './schema-walk.js';
import { article, formatAt } from './schema-values.js';

type Field = 'eventId' | 'orderId' | 'state' | 'occurredAt' | 'correlationId' | 'reason' | 'type';

/** What each field is, for messages. */
const meaning: Record<Field, string> = {
  eventId: 'an event id',
  orderId: 'an order id',
  state: 'a state',
  occurredAt: 'a time',
  correlationId: 'a correlation id',
  reason: 'a reason',
  type: 'an event type',
};

/** Without these, no event can be read: every one is dead-lettered. */
const needed: readonly Field[] = ['eventId', 'orderId', 'state', 'occurredAt'];

export interface SchemaInput {
  schema: unknown;
  /** The schema's file as the dialect names it, for messages. */
  file: string;
  registry?: SchemaRegistry;
}

/**
 * Checks every path the dialect reads events by against the event schema: it must exist there
 * (a change path inside the elements of the array at events.changes.path), and the values there
 * must be readable after coercion (texts and numbers as text; times as the dialect's time format).
 */
export function checkEventPaths(
  dialect: Pick<DialectConfig, 'events' | 'acknowledgement'>,
  input: SchemaInput,
): DialectFinding[] {
  const { events } = dialect;
  const root = rootPlace(input.schema, input.registry);
  const findings: DialectFinding[] = [];
  const byCorrelation = acknowledgedBy(dialect) === 'correlationId';
  const severity = (field: Field, inChanges: boolean): DialectFinding['severity'] => {
    const read = inChanges || events.changes?.paths[field] === undefined;
    return read && (needed.includes(field) || (field === 'correlationId' && byCorrelation)) ? 'error' : 'warning';
  };
  const check = (place: Place, field: Field, pointer: string, where: string, prefix: string, inChanges: boolean) => {
    const walked = walkPointer(place, pointer, prefix);
    const level = severity(field, inChanges);
    if (!walked.ok) findings.push(unknownPath(walked, `${prefix}${pointer}`, where, input.file, level, field));
    else {
      const problem = typeProblem(field, walked.place, events.values?.occurredAt?.time ?? 'iso');
      if (problem)
        findings.push({
          code: 'incompatible_type',
          severity: level,
          path: where,
          message: `${prefix}${pointer} is ${problem.found} in ${input.file}; ${problem.wanted}`,
          fix: problem.fix,
        });
    }
  };
  for (const [field, pointer] of Object.entries(events.paths) as [Field, string][])
    check(root, field, pointer, `/events/paths/${field}`, '', false);
  if (events.changes) {
    const { path, paths } = events.changes;
    const list = walkPointer(root, path);
    const types = list.ok ? typesAt(list.place) : undefined;
    if (!list.ok) findings.push(unknownPath(list, path, '/events/changes/path', input.file, 'error', 'changes'));
    else if (types && !types.includes('array')) {
      findings.push({
        code: 'not_an_array',
        severity: 'error',
        path: '/events/changes/path',
        message: `${path} is ${types.map(article).join(' or ')} in ${input.file}, not the array of state changes`,
        fix: `point changes.path at the array that holds the changes`,
      });
    } else {
      const element = stepPlace(list.place, anyItem);
      if (element)
        for (const [field, pointer] of Object.entries(paths) as [Field, string][])
          check(element, field, pointer, `/events/changes/paths/${field}`, `${path}/*`, true);
    }
  }
  if (byCorrelation && events.paths.correlationId === undefined && events.changes?.paths.correlationId === undefined) {
    findings.push({
      code: 'no_correlation',
      severity: 'error',
      path: '/acknowledgement/by',
      message:
        'the MES is said to acknowledge by correlation id, but the dialect reads none: no command would ever be acknowledged, and the watchdog would flag every order lost',
      fix: 'add events.paths.correlationId (the path of the id of the command an event answers), or set acknowledgement.by: state',
    });
  }
  return findings;
}

function unknownPath(
  walked: Extract<ReturnType<typeof walkPointer>, { ok: false }>,
  shown: string,
  where: string,
  file: string,
  severity: DialectFinding['severity'],
  field: Field | 'changes',
): DialectFinding {
  const types = typesAt(walked.parent);
  const scalar = types && !types.includes('object') && !types.includes('array');
  const names = propertyNamesAt(walked.parent);
  const near = closest(walked.token, names);
  const consequence = severity === 'error' ? ': no event could be read, every one would be dead-lettered' : '';
  const what = field === 'changes' ? 'the array of state changes' : meaning[field];
  return {
    code: 'unknown_path',
    severity,
    path: where,
    message: scalar
      ? `${shown} is not in ${file}: ${walked.at} is ${types.map(article).join(' or ')}, with nothing inside${consequence}`
      : `${shown} is not in ${file}${walked.at ? `: ${walked.at} has no field ${walked.token}` : ''}${allowedList(names)}${consequence}`,
    fix: near
      ? `did you mean ${walked.at}/${token(near)}?`
      : scalar
        ? `point it at ${walked.at}, or at the field that holds ${what}`
        : `point it at the field of ${file} that holds ${what}`,
  };
}

const textTypes: readonly JsonType[] = ['string', 'number', 'integer'];

/** Why no value the schema allows at the path can be read as this field, or nothing. */
function typeProblem(
  field: Field,
  place: Place,
  time: 'iso' | 'epochSeconds' | 'epochMillis',
): { found: string; wanted: string; fix: string } | undefined {
  const types = typesAt(place);
  if (!types) return undefined;
  const found = types.map(article).join(' or ') || 'nothing (no value is allowed)';
  if (field !== 'occurredAt') {
    if (types.some((type) => textTypes.includes(type))) return undefined;
    return {
      found,
      wanted: `${meaning[field]} must be text or a number`,
      fix: `point ${field} at the field that holds ${meaning[field]}`,
    };
  }
  const numeric = types.includes('number') || types.includes('integer');
  if (time === 'iso') {
    if (types.includes('string')) return undefined;
    return numeric
      ? {
          found,
          wanted: 'with time: iso (the default) a time must be ISO 8601 text',
          fix: 'set events.values.occurredAt.time to epochMillis or epochSeconds, as the MES counts',
        }
      : {
          found,
          wanted: 'a time must be ISO 8601 text or an epoch number',
          fix: 'point occurredAt at the field that holds the time of the change',
        };
  }
  if (numeric) return undefined;
  const format = types.includes('string') ? formatAt(place) : undefined;
  if (types.includes('string') && format !== 'date-time' && format !== 'date') return undefined;
  return types.includes('string')
    ? {
        found: `${found} of format ${format}`,
        wanted: `with time: ${time} a time must be a number (or numeric text)`,
        fix: 'set events.values.occurredAt.time to iso',
      }
    : {
        found,
        wanted: 'a time must be ISO 8601 text or an epoch number',
        fix: 'point occurredAt at the field that holds the time of the change',
      };
}
