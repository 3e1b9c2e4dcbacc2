/** The JSON body of a broker message, or undefined when it is not JSON (the validator then says why). */
export function parseJsonContent(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Options given in-process may carry explicit undefineds; they must not override the defaults. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
