/** Reads the value at an RFC 6901 JSON Pointer; undefined when any step is missing. Own properties only. */
export function readPointer(document: unknown, pointer: string): unknown {
  return pointerReader(pointer)(document);
}

/** A reader for one pointer, its tokens decoded once: for paths read on every message. */
export function pointerReader(pointer: string): (document: unknown) => unknown {
  if (pointer === '') return (document) => document;
  const keys = pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'));
  return (document) => {
    let node: unknown = document;
    for (const key of keys) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  };
}
