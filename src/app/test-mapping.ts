import { isDeepStrictEqual } from 'node:util';
import type { Change, CommandCase, DialectTests, EventCase } from '../contracts/generated/config/dialect-tests.js';
import type { ChangeOutcome, CommandOutcome, DialectRunner, EventOutcome } from './dialect-outcome.js';

/** The result of one case of a dialect's tests.yaml. */
export interface CaseResult {
  kind: 'event' | 'command';
  name: string;
  /** The case's place in the file, e.g. /events/2 (for file:line:column). */
  pointer: string;
  passed: boolean;
  /**
   * What the case expects and what the dialect gave, in one shape with the fields in one order, so
   * that a line diff of the two as JSON shows only what differs: `{invalid}` for an error.
   */
  expected: unknown;
  actual: unknown;
  /** Why it failed, when a diff alone does not say it (an error that does not contain the expected text). */
  note?: string;
}

/** Runs every case of a tests file through one dialect: the events first, then the commands, each in file order. */
export function runMappingCases(runner: DialectRunner, tests: DialectTests): CaseResult[] {
  const now = tests.now;
  return [
    ...(tests.events ?? []).map((c, i) => eventCaseResult(c, runner.event(c.event), `/events/${i}`)),
    ...(tests.commands ?? []).map((c, i) => {
      const at = Date.parse((c.now ?? now)!);
      return commandCaseResult(
        c,
        runner.command(c.command, { now: at, ...(c.messageId ? { messageId: c.messageId } : {}) }),
        `/commands/${i}`,
      );
    }),
  ];
}

type Invalid = NonNullable<EventCase['invalid']>;

/** An event case against what the dialect made of its message. */
export function eventCaseResult(test: EventCase, outcome: EventOutcome, pointer: string): CaseResult {
  const base = { kind: 'event' as const, name: test.name, pointer };
  if (test.invalid !== undefined)
    return invalidResult(base, test.invalid, outcome.ok ? outcome.changes.map((c) => changeSeen(c)) : outcome.error);
  const expected = test.expect!.map(changeExpected);
  if (!outcome.ok) return { ...base, passed: false, expected, actual: { invalid: outcome.error } };
  const actual = outcome.changes.map((change, i) => changeSeen(change, test.expect![i]));
  return { ...base, passed: isDeepStrictEqual(expected, actual), expected, actual };
}

/** A command case against the command the dialect wrote for it. */
export function commandCaseResult(test: CommandCase, outcome: CommandOutcome, pointer: string): CaseResult {
  const base = { kind: 'command' as const, name: test.name, pointer };
  if (test.invalid !== undefined)
    return invalidResult(
      base,
      test.invalid,
      outcome.ok ? { routingKey: outcome.routingKey, message: outcome.message } : outcome.error,
    );
  const expected = { routingKey: test.expect!.routingKey, message: test.expect!.message };
  if (!outcome.ok) return { ...base, passed: false, expected, actual: { invalid: outcome.error } };
  const actual = alignKeys({ routingKey: outcome.routingKey, message: outcome.message }, expected);
  return { ...base, passed: isDeepStrictEqual(expected, actual), expected, actual };
}

/** A case that expects an error: `seen` is the error the dialect gave, or what it made instead. */
function invalidResult(
  base: Pick<CaseResult, 'kind' | 'name' | 'pointer'>,
  invalid: Invalid,
  seen: unknown,
): CaseResult {
  const expected = { invalid };
  if (typeof seen !== 'string')
    return { ...base, passed: false, expected, actual: seen, note: 'expected an error, but the dialect accepted it' };
  const passed = typeof invalid === 'string' ? seen.includes(invalid) : new RegExp(invalid.matches).test(seen);
  const wanted = typeof invalid === 'string' ? `contain ${JSON.stringify(invalid)}` : `match /${invalid.matches}/`;
  return {
    ...base,
    passed,
    expected,
    actual: { invalid: seen },
    ...(passed ? {} : { note: `the error does not ${wanted}` }),
  };
}

/** The fields a change entry may name, in the order results show them; then its meaning. */
const readFields = ['state', 'orderId', 'eventId', 'occurredAt', 'correlationId', 'reason', 'type'] as const;

/** An expected change as results show it: the read fields it names, then quarantine or status and ack (`none` left out). */
function changeExpected(change: Change): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const field of readFields) if (change[field] !== undefined) shown[field] = change[field];
  if (change.quarantine !== undefined) shown.quarantine = change.quarantine;
  if (change.status !== undefined) shown.status = change.status;
  if (change.ack !== undefined && change.ack !== 'none') shown.ack = change.ack;
  return shown;
}

/**
 * A change the dialect read, in the shape of the entry that expects it: the read fields that entry
 * names (the state alone when there is none), then its meaning.
 */
function changeSeen(change: ChangeOutcome, like?: Change): Record<string, unknown> {
  const values: Partial<Record<(typeof readFields)[number], string>> = { ...change.fields, type: change.type };
  const shown: Record<string, unknown> = {};
  for (const field of readFields)
    if ((like ? like[field] !== undefined : field === 'state') && values[field] !== undefined)
      shown[field] = values[field];
  if (change.quarantine !== undefined) shown.quarantine = true;
  if (change.status !== undefined) shown.status = change.status;
  if (change.ack !== undefined) shown.ack = change.ack;
  return shown;
}

/** `value` with the keys of its objects in the order `like` has them (the others after), for a diff that shows only differences. */
export function alignKeys(value: unknown, like: unknown): unknown {
  if (Array.isArray(value)) return value.map((item, i) => alignKeys(item, Array.isArray(like) ? like[i] : undefined));
  if (!isPlainObject(value)) return value;
  const model = isPlainObject(like) ? like : {};
  const keys = [
    ...Object.keys(model).filter((k) => Object.hasOwn(value, k)),
    ...Object.keys(value).filter((k) => !Object.hasOwn(model, k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, alignKeys(value[k], model[k])]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
