import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';

/**
 * Which place of a pointer's node to show: the value itself; its key (an unknown field, a badly
 * named key); or the object that holds it (a missing required field, which has no place of its own).
 */
export type Anchor = 'value' | 'key' | 'parent';

export interface YamlPosition {
  /** 1-based, as editors and compilers count. */
  line: number;
  /** 1-based. */
  column: number;
  /** The pointer of the node shown: the one asked for, or its nearest ancestor that exists in the file. */
  pointer: string;
  /** False when the node asked for is not in the file and an ancestor is shown instead. */
  exact: boolean;
}

/** A scalar as written in the file, for explaining what YAML made of it. */
export interface YamlScalar {
  /** The text as written, without quotes for a quoted scalar; '' for an empty value (`key:`). */
  source: string;
  /** What YAML made of it. */
  value: unknown;
  /** Plain (unquoted, untagged): the scalar whose type YAML guessed from its text. */
  plain: boolean;
}

export interface YamlLocator {
  /** Where the node at `pointer` sits; undefined only for an empty document. */
  position(pointer: string, anchor?: Anchor): YamlPosition | undefined;
  /** The scalar at `pointer`, if the file has one there. */
  scalar(pointer: string): YamlScalar | undefined;
}

/** A locator over YAML text; parse errors do not matter, whatever parsed is located. */
export function yamlLocator(text: string): YamlLocator;
/** A locator over a document already parsed with `lineCounter`. */
export function yamlLocator(document: Document, lineCounter: LineCounter): YamlLocator;
export function yamlLocator(source: string | Document, counter?: LineCounter): YamlLocator {
  let document: Document;
  let lines: LineCounter;
  if (typeof source === 'string') {
    lines = new LineCounter();
    document = parseDocument(source, { lineCounter: lines });
  } else {
    document = source;
    lines = counter!;
  }
  const at = (offset: number | undefined, steps: Step[]): YamlPosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col, pointer: pointerOf(steps.slice(1).map((s) => s.segment)), exact: false };
  };
  return {
    position(pointer, anchor = 'value') {
      const segments = parsePointer(pointer);
      const wanted = anchor === 'parent' ? segments.slice(0, -1) : segments;
      const steps = walk(document, wanted);
      const found = steps.length - 1 === wanted.length;
      const last = steps.at(-1)!;
      const offset = found && anchor === 'key' && last.key ? start(last.key) : placeOf(last);
      const position = at(offset, steps);
      return position && { ...position, exact: found };
    },
    scalar(pointer) {
      const segments = parsePointer(pointer);
      const steps = walk(document, segments);
      const node = steps.length - 1 === segments.length ? steps.at(-1)!.node : undefined;
      if (!isScalar(node)) return undefined;
      return {
        source: (node as Scalar).source ?? String(node.value ?? ''),
        value: node.value,
        plain: node.type === 'PLAIN' && node.tag === undefined,
      };
    },
  };
}

/** `file:line:column` of the value at `pointer` in a YAML file's text (or its nearest ancestor's); just `file` if none. */
export function yamlLocation(file: string, text: string, pointer: string, anchor: Anchor = 'value'): string {
  return formatLocation(file, yamlLocator(text).position(pointer, anchor));
}

export function formatLocation(file: string, position: Pick<YamlPosition, 'line' | 'column'> | undefined): string {
  return position ? `${file}:${position.line}:${position.column}` : file;
}

/** RFC 6901: '' is the whole document; ~1 is '/', ~0 is '~'. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function pointerOf(segments: string[]): string {
  return segments.map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

interface Step {
  segment: string;
  /** The node at this step (null for a key with no value node at all). */
  node: Node | null;
  /** The key it is written under, when its parent is a mapping. */
  key?: Node;
}

/** The nodes along the pointer, from the document's root to the deepest one that exists. */
function walk(document: Document, segments: string[]): Step[] {
  const steps: Step[] = [{ segment: '', node: isNode(document.contents) ? document.contents : null }];
  for (const segment of segments) {
    let parent = steps.at(-1)!.node;
    if (isAlias(parent)) parent = parent.resolve(document) ?? null;
    let next: Step | undefined;
    if (isMap(parent)) {
      // Keys are compared as JSON sees them: `10:` is the key "10".
      const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
      if (pair)
        next = { segment, node: isNode(pair.value) ? pair.value : null, key: isNode(pair.key) ? pair.key : undefined };
    } else if (isSeq(parent) && /^(0|[1-9]\d*)$/.test(segment)) {
      const item = parent.items[Number(segment)];
      if (item !== undefined) next = { segment, node: isNode(item) ? item : null };
    }
    if (!next) break;
    steps.push(next);
  }
  return steps;
}

/**
 * The place to show for a node: a scalar at its value; a collection, and an empty value, at the key
 * it is written under ("paths:"), as a block collection starts on the line below; otherwise where it starts.
 */
function placeOf({ node, key }: Step): number | undefined {
  const empty = isScalar(node) && node.value === null && !(node as Scalar).source;
  if (key && (node === null || isCollection(node) || empty)) return start(key);
  return node ? start(node) : key ? start(key) : undefined;
}

const start = (node: Node): number | undefined => node.range?.[0];
