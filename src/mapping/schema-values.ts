import {
  allowsType,
  matches,
  maxDepth,
  nodeTypes,
  requiredAt,
  stepPlace,
  typeOf,
  type JsonType,
  type Node,
  type Place,
} from './schema-walk.js';

// What values fit a place of a schema (see schema-walk.ts): as conservative as the walk.

/** The values the schema lists here (enum or const in every alternative); undefined when any value of the types may be. */
export function valuesAt(place: Place): unknown[] | undefined {
  const values: unknown[] = [];
  for (const conjunction of place.alternatives) {
    const listed = conjunction
      .map(({ schema }) => ('const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined))
      .find((v) => v !== undefined);
    if (!listed) return undefined;
    values.push(...listed.filter((value) => conjunction.every((node) => fitsNode(node, value) === undefined)));
  }
  return values;
}

/** The most characters a text here may have, when the schema says so in every alternative. */
export function maxLengthAt(place: Place): number | undefined {
  const limits = place.alternatives.map((c) =>
    Math.min(...c.map(({ schema }) => (typeof schema.maxLength === 'number' ? schema.maxLength : Infinity))),
  );
  const most = Math.max(...limits);
  return Number.isFinite(most) ? most : undefined;
}

/** The string format every alternative here names (e.g. date-time), if they agree on one. */
export function formatAt(place: Place): string | undefined {
  const formats = place.alternatives.map((c) =>
    c.map(({ schema }) => schema.format).find((f) => typeof f === 'string'),
  );
  return formats.every((f) => f !== undefined && f === formats[0]) ? (formats[0] as string) : undefined;
}

/** Why `value` cannot be at this place, or undefined when it may be (or the schema is too open to say). */
export function doesNotFit(place: Place, value: unknown, depth = 0): string | undefined {
  let first: string | undefined;
  let ofItsType: string | undefined;
  for (const conjunction of place.alternatives) {
    const problem =
      conjunction.map((node) => fitsNode(node, value)).find((p) => p !== undefined) ??
      (depth < maxDepth ? fitsInside({ alternatives: [conjunction] }, value, depth) : undefined);
    if (problem === undefined) return undefined;
    first ??= problem;
    // The reason of an alternative of the value's own type says more than "must be an integer".
    if (conjunction.every((node) => typeProblem(node, value) === undefined)) ofItsType ??= problem;
  }
  return ofItsType ?? first;
}

function fitsInside(place: Place, value: unknown, depth: number): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const child = stepPlace(place, String(i));
      if (!child) return `has no room for an element ${i}`;
      const problem = doesNotFit(child, item, depth + 1);
      if (problem) return `[${i}] ${problem}`;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const missing = requiredAt(place).filter((field) => !Object.hasOwn(value, field));
  if (missing.length) return `lacks the required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  for (const [key, item] of Object.entries(value)) {
    const child = stepPlace(place, key);
    if (!child) return `has a field ${key} the schema does not allow`;
    const problem = doesNotFit(child, item, depth + 1);
    if (problem) return `.${key} ${problem}`;
  }
  return undefined;
}

/** The keywords of one schema about the value itself: type, const, enum, lengths, pattern, bounds. */
function fitsNode(node: Node, value: unknown): string | undefined {
  const { schema } = node;
  const wrongType = typeProblem(node, value);
  if (wrongType) return wrongType;
  if ('const' in schema && !same(schema.const, value)) return `must be ${JSON.stringify(schema.const)}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => same(allowed, value)))
    return `is not one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      return `is shorter than ${schema.minLength} characters`;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      return `is longer than ${schema.maxLength} characters`;
    if (typeof schema.pattern === 'string' && matches(schema.pattern, value) === false)
      return `does not match the pattern ${schema.pattern}`;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      return `is less than the minimum ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      return `is more than the maximum ${schema.maximum}`;
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      return `must be more than ${schema.exclusiveMinimum}`;
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      return `must be less than ${schema.exclusiveMaximum}`;
  }
  return undefined;
}

function typeProblem(node: Node, value: unknown): string | undefined {
  const types = nodeTypes({ ...node, schema: { type: node.schema.type } });
  return types && !allowsType([...types], typeOf(value))
    ? `must be ${[...types].map(article).join(' or ')}, not ${article(typeOf(value))}`
    : undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function article(type: JsonType): string {
  return type === 'null'
    ? 'null'
    : `${type === 'integer' || type === 'object' || type === 'array' ? 'an' : 'a'} ${type}`;
}
