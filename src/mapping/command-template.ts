import type { FromValue, Template } from '../contracts/generated/config/dialect.js';
import { describe } from './coerce.js';
import { pointerReader } from './json-pointer.js';

/** What the gateway supplies to a command template besides the CRM command. */
export interface TemplateContext {
  messageId: string;
  now: number;
  commandType: string;
}

interface Scope {
  /** The CRM command, or inside `each` the element. */
  value: unknown;
  index: number;
  context: TemplateContext;
}

/** A value the template cannot build from this command (a value not in a table, a wrong type): names the template field and the fix. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Build = (scope: Scope) => unknown;

/**
 * Compiles a template once into a function of the CRM command: the per-message cost is walking a
 * tree of closures (JSONata, measured on the reference create command, took ~43 µs a message).
 * `where` is the template's place in the dialect, for errors.
 */
export function compileTemplate(
  template: Template,
  where: string,
): (command: unknown, context: TemplateContext) => unknown {
  const build = compileNode(template, where);
  return (command, context) => build({ value: command, index: 0, context });
}

function compileNode(node: Template, where: string): Build {
  if (node === null || typeof node !== 'object') return () => node;
  if (Array.isArray(node)) {
    const parts = node.map((part, i) => compileNode(part, `${where}/${i}`));
    return (scope) => parts.map((part) => part(scope)).filter((value) => value !== undefined);
  }
  if ('const' in node) {
    const value = node.const;
    return () => value;
  }
  if ('gateway' in node) return gatewayValue(node.gateway as keyof typeof gatewayValues);
  if ('index' in node && isIndex(node.index)) {
    const { start = 1, step = 1 } = node.index;
    return ({ index }) => start + index * step;
  }
  if ('each' in node && typeof node.each === 'string' && 'item' in node)
    return compileEach(node.each, node.item as Template, where);
  if ('from' in node && typeof node.from === 'string') return compileFrom(node as FromValue, where);
  if ('fill' in node && typeof node.fill === 'string')
    return compileText(node.fill, (node as { maxLength?: number }).maxLength);
  // { fields: {...} } writes out an object whose field names would read as keywords.
  const written =
    'fields' in node && Object.keys(node).length === 1 && node.fields !== null && typeof node.fields === 'object'
      ? (node.fields as Record<string, Template>)
      : (node as Record<string, Template>);
  const fields = Object.entries(written).map(([key, value]) => [key, compileNode(value, `${where}/${key}`)] as const);
  return (scope) => {
    const built: Record<string, unknown> = {};
    for (const [key, build] of fields) {
      const value = build(scope);
      if (value !== undefined) built[key] = value;
    }
    return built;
  };
}

const gatewayValues = {
  messageId: ({ context }: Scope) => context.messageId,
  now: ({ context }: Scope) => new Date(context.now).toISOString(),
  nowEpochMillis: ({ context }: Scope) => context.now,
  nowEpochSeconds: ({ context }: Scope) => Math.floor(context.now / 1000),
  commandType: ({ context }: Scope) => context.commandType,
};

function gatewayValue(name: keyof typeof gatewayValues): Build {
  return gatewayValues[name];
}

function isIndex(value: unknown): value is { start?: number; step?: number } {
  return value !== null && typeof value === 'object';
}

function compileEach(pointer: string, item: Template, where: string): Build {
  const read = pointerReader(pointer);
  const buildItem = compileNode(item, `${where}/item`);
  return (scope) => {
    const list = read(scope.value);
    if (list === undefined) return undefined;
    if (!Array.isArray(list))
      throw new TemplateError(`${where}: expected an array at ${pointer}, found ${describe(list)}`);
    return list.map((value, index) => buildItem({ value, index, context: scope.context }));
  };
}

/** The {/pointer} placeholders of a fill template, in order. */
export function textPlaceholders(text: string): string[] {
  return [...text.matchAll(/\{(\/[^{}]*)\}/g)].map((m) => m[1]!);
}

function compileText(text: string, maxLength: number | undefined): Build {
  const parts = text.split(/\{(\/[^{}]*)\}/);
  // Odd parts are pointers, even ones literal text.
  const readers = parts.map((part, i) => (i % 2 ? pointerReader(part) : undefined));
  return (scope) => {
    let built = '';
    for (const [i, part] of parts.entries()) {
      if (i % 2 === 0) {
        built += part;
        continue;
      }
      const value = readers[i]!(scope.value);
      if (value === undefined || value === null || typeof value === 'object') return undefined;
      built += String(value);
    }
    return maxLength === undefined ? built : built.slice(0, maxLength);
  };
}

function compileFrom(spec: FromValue, where: string): Build {
  const read = pointerReader(spec.from);
  const table = spec.table ? new Map(Object.entries(spec.table)) : undefined;
  return (scope) => {
    let value: unknown = read(scope.value) ?? spec.default;
    if (value === undefined) return undefined;
    if (table) {
      const key = String(value);
      if (!table.has(key))
        throw new TemplateError(
          `${where}: ${describe(value)} at ${spec.from} is not in its table (${[...table.keys()].join(', ')}); fix: add it to the table in the dialect`,
        );
      value = table.get(key);
    }
    if (spec.dateFormat) value = formatDate(value, spec.dateFormat, where, spec.from);
    if (spec.as) value = convert(value, spec.as, where, spec.from);
    return typeof value === 'string' ? shapeText(value, spec) : value;
  };
}

/** A date or date-time (ISO 8601) in a pattern of YYYY MM DD HH mm ss, in UTC. */
export function formatDate(value: unknown, pattern: string, where = '', from = ''): string {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new TemplateError(
      `${where}: ${describe(value)} at ${from} is not a date or date-time, so dateFormat cannot write it`,
    );
  const date = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, string> = {
    YYYY: String(date.getUTCFullYear()).padStart(4, '0'),
    MM: two(date.getUTCMonth() + 1),
    DD: two(date.getUTCDate()),
    HH: two(date.getUTCHours()),
    mm: two(date.getUTCMinutes()),
    ss: two(date.getUTCSeconds()),
  };
  return pattern.replace(/YYYY|MM|DD|HH|mm|ss/g, (token) => fields[token]!);
}

function shapeText(text: string, { case: letterCase, maxLength }: FromValue): string {
  const cased = letterCase === 'upper' ? text.toUpperCase() : letterCase === 'lower' ? text.toLowerCase() : text;
  return maxLength === undefined ? cased : cased.slice(0, maxLength);
}

function convert(value: unknown, as: NonNullable<FromValue['as']>, where: string, from: string): unknown {
  if (as === 'string') return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || (as === 'integer' && !Number.isInteger(number))) {
    throw new TemplateError(
      `${where}: ${describe(value)} at ${from} is not ${as === 'integer' ? 'an integer' : 'a number'}`,
    );
  }
  return number;
}
