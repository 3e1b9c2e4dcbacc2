/**
 * A small JSON Schema (2020-12) walker for static checks: where a JSON Pointer leads in a schema,
 * which JSON types a value there may have, which fields are allowed and required, whether a constant
 * fits. Conservative: it only says "not there" or "does not fit" when the schema makes it certain;
 * keywords it does not model (not, if/then/else, unevaluated*, formats) only ever make it say less.
 */

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** Schemas by their $id, for $refs to other files (the CRM contracts refer to each other). */
export type SchemaRegistry = Readonly<Record<string, unknown>>;

export interface Node {
  schema: Record<string, unknown>;
  /** The document the schema sits in and its base URI, for $ref. */
  document: unknown;
  base: string;
  registry: SchemaRegistry;
}

/** One way a value may be: every schema of the list applies to it (an empty list: anything goes). */
export type Conjunction = readonly Node[];

/** The schemas that may apply at one place: the value follows one of the conjunctions. Never empty. */
export interface Place {
  readonly alternatives: readonly Conjunction[];
}

/** Steps into the elements of an array, whatever their index. */
export const anyItem = Symbol('any item');
export type Token = string | typeof anyItem;

const maxAlternatives = 64;
export const maxDepth = 24;
const open: Place = { alternatives: [[]] };
const noBase = 'schema:root';

/** The place of a whole document under `schema`. */
export function rootPlace(schema: unknown, registry: SchemaRegistry = {}): Place {
  const base = typeof (schema as { $id?: unknown })?.$id === 'string' ? (schema as { $id: string }).$id : noBase;
  return placeOf(expand({ schema: schema as Record<string, unknown>, document: schema, base, registry }, 0));
}

function placeOf(alternatives: Conjunction[] | undefined): Place {
  return alternatives === undefined ? open : { alternatives };
}

/** The schema as alternatives of conjunctions: $ref and allOf join, anyOf and oneOf branch. undefined: too open to say. */
function expand(node: Node, depth: number): Conjunction[] | undefined {
  const { schema } = node;
  if (depth > maxDepth) return undefined;
  if (schema === (false as unknown)) return [];
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const base = typeof schema.$id === 'string' ? resolveUri(schema.$id, node.base) : node.base;
  const self: Node = base === node.base ? node : { ...node, base, document: schema };
  let result: Conjunction[] = [[self]];
  const parts: Conjunction[][] = [];
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(self, schema.$ref);
    parts.push(target ? (expand(target, depth + 1) ?? [[]]) : [[]]);
  }
  for (const sub of arrayOf(schema.allOf))
    parts.push(expand({ ...self, schema: sub as Record<string, unknown> }, depth + 1) ?? [[]]);
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = arrayOf(schema[keyword]);
    if (!branches.length) continue;
    const union = branches.flatMap(
      (sub) => expand({ ...self, schema: sub as Record<string, unknown> }, depth + 1) ?? [[]],
    );
    parts.push(union);
  }
  for (const part of parts) {
    result = result.flatMap((left) => part.map((right) => [...left, ...right]));
    if (result.length > maxAlternatives) return undefined;
  }
  return result;
}

function resolveUri(ref: string, base: string): string {
  try {
    return new URL(ref, base).href;
  } catch {
    return ref;
  }
}

function resolveRef(node: Node, ref: string): Node | undefined {
  const [uri = '', fragment = ''] = resolveUri(ref, node.base).split('#');
  const own = node.base.split('#')[0];
  const document = uri === own || ref.startsWith('#') ? node.document : node.registry[uri];
  if (document === undefined || (fragment !== '' && !fragment.startsWith('/'))) return undefined;
  let schema: unknown = document;
  for (const raw of fragment === '' ? [] : fragment.slice(1).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (schema === null || typeof schema !== 'object' || !Object.hasOwn(schema, key)) return undefined;
    schema = (schema as Record<string, unknown>)[key];
  }
  return {
    schema: schema as Record<string, unknown>,
    document,
    base: uri === own || ref.startsWith('#') ? node.base : uri,
    registry: node.registry,
  };
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const allTypes: JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

export function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** The types one schema allows by type, const and enum; undefined when it says nothing. */
export function nodeTypes({ schema }: Node): Set<JsonType> | undefined {
  let types: Set<JsonType> | undefined;
  if (typeof schema.type === 'string' || Array.isArray(schema.type))
    types = new Set([schema.type].flat() as JsonType[]);
  if ('const' in schema) types = intersect(types, new Set([typeOf(schema.const)]));
  if (Array.isArray(schema.enum)) types = intersect(types, new Set(schema.enum.map(typeOf)));
  return types;
}

/** Integers are numbers: number ∩ integer is integer. */
function intersect(a: Set<JsonType> | undefined, b: Set<JsonType> | undefined): Set<JsonType> | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = new Set<JsonType>();
  for (const type of a) {
    if (b.has(type)) out.add(type);
    else if ((type === 'number' && b.has('integer')) || (type === 'integer' && b.has('number'))) out.add('integer');
  }
  return out;
}

function conjunctionTypes(conjunction: Conjunction): Set<JsonType> | undefined {
  return conjunction.reduce<Set<JsonType> | undefined>((types, node) => intersect(types, nodeTypes(node)), undefined);
}

/** The JSON types a value at this place may have; undefined when the schema does not say. */
export function typesAt(place: Place): JsonType[] | undefined {
  const found = new Set<JsonType>();
  for (const conjunction of place.alternatives) {
    const types = conjunctionTypes(conjunction);
    if (!types) return undefined;
    for (const type of types) found.add(type);
  }
  return allTypes.filter((type) => found.has(type));
}

/** Whether a value of type `type` may be at this place (an integer is a number; undefined types allow all). */
export function allowsType(types: readonly JsonType[] | undefined, type: JsonType): boolean {
  if (!types) return true;
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

type Child = Node | 'none' | 'free';

function propertyChild(node: Node, key: string): Child {
  const { schema } = node;
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (properties && Object.hasOwn(properties, key))
    return { ...node, schema: properties[key] as Record<string, unknown> };
  const patterns = Object.entries((schema.patternProperties as Record<string, unknown> | undefined) ?? {});
  for (const [pattern, sub] of patterns) {
    if (matches(pattern, key) !== false) return { ...node, schema: sub as Record<string, unknown> };
  }
  const additional = schema.additionalProperties;
  if (additional === undefined || additional === true) return 'free';
  return additional === false ? 'none' : { ...node, schema: additional as Record<string, unknown> };
}

/** The schemas an array's elements follow: at `index`, or any element (one of them). */
function itemChildren(node: Node, index: number | undefined): Child[] {
  const prefix = arrayOf(node.schema.prefixItems);
  const items = node.schema.items;
  const rest: Child =
    items === undefined || items === true
      ? 'free'
      : items === false
        ? 'none'
        : { ...node, schema: items as Record<string, unknown> };
  if (index !== undefined)
    return [index < prefix.length ? { ...node, schema: prefix[index] as Record<string, unknown> } : rest];
  return [...prefix.map((schema): Child => ({ ...node, schema: schema as Record<string, unknown> })), rest];
}

/** Each node's choices of child joined (a 'none' anywhere: no way through). */
function join(choices: Child[][], depth: number): Conjunction[] {
  let result: Conjunction[] = [[]];
  for (const options of choices) {
    const expanded = options
      .filter((c) => c !== 'none')
      .flatMap((c) => (c === 'free' ? [[]] : (expand(c, depth) ?? [[]])));
    result = result.flatMap((left) => expanded.map((right) => [...left, ...right]));
    if (result.length > maxAlternatives) return [[]];
  }
  return result;
}

/** The place one step further, or undefined when the schema leaves no room for it. */
export function stepPlace(place: Place, token: Token): Place | undefined {
  const index = token === anyItem ? undefined : /^(0|[1-9]\d*)$/.test(token) ? Number(token) : -1;
  const found: Conjunction[] = [];
  for (const conjunction of place.alternatives) {
    const types = conjunctionTypes(conjunction);
    if (typeof token === 'string' && (!types || types.has('object')))
      found.push(
        ...join(
          conjunction.map((node) => [propertyChild(node, token)]),
          0,
        ),
      );
    if (index !== -1 && (!types || types.has('array')))
      found.push(
        ...join(
          conjunction.map((node) => itemChildren(node, index)),
          0,
        ),
      );
    if (found.length > maxAlternatives) return open;
  }
  return found.length ? { alternatives: found } : undefined;
}

export type PointerWalk =
  | {
      ok: true;
      place: Place /** Every step is a required field: the value is in every valid document. */;
      required: boolean;
    }
  | { ok: false /** The longest prefix that exists, and its place. */; at: string; parent: Place; token: string };

/** Follows a JSON Pointer (from `prefix`, for messages) through the schema. */
export function walkPointer(place: Place, pointer: string, prefix = ''): PointerWalk {
  let at = prefix;
  let required = true;
  for (const token of pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))) {
    const next = stepPlace(place, token);
    if (!next) return { ok: false, at, parent: place, token };
    required &&= requiredAt(place).includes(token);
    place = next;
    at += `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return { ok: true, place, required };
}

/** The fields every value here must have, whichever alternative it follows. */
export function requiredAt(place: Place): string[] {
  const sets = place.alternatives.map(
    (conjunction) => new Set(conjunction.flatMap(({ schema }) => arrayOf(schema.required).map(String))),
  );
  return [...(sets[0] ?? [])].filter((field) => sets.every((set) => set.has(field)));
}

/** The fields the schema names here (for "it allows: …"). */
export function propertyNamesAt(place: Place): string[] {
  return [
    ...new Set(
      place.alternatives.flat().flatMap(({ schema }) => Object.keys((schema.properties as object | undefined) ?? {})),
    ),
  ];
}

/** Whether text matches a schema pattern (Unicode, as Ajv reads them); undefined for a pattern JavaScript cannot read. */
export function matches(pattern: string, text: string): boolean | undefined {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return undefined;
  }
}
