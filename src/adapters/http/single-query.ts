import type { Context } from 'hono';
import { ValidationFailed } from './problems.js';

const pointerSegment = (name: string) => name.slice(0, 64).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The query string with one value per name. A name given more than once is a 400 naming it:
 * taking the first (or the last) silently would answer a question the client did not ask, and
 * a cache or proxy in front may pick the other one.
 */
export function singleValuedQuery(c: Context): Record<string, string> {
  const all = c.req.queries();
  const repeated = Object.entries(all).filter(([, values]) => values.length > 1);
  if (repeated.length) {
    throw new ValidationFailed(
      'query',
      repeated.map(([name, values]) => ({
        pointer: `/${pointerSegment(name)}`,
        message: `is given ${values.length} times`,
        fix: `give ${name} once`,
      })),
    );
  }
  return Object.fromEntries(Object.entries(all).map(([name, values]) => [name, values[0]!]));
}
