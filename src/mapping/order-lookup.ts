import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import { readText } from './coerce.js';
import { readPointer } from './json-pointer.js';

/** How the dialect's MES API answers about one order (dialect `api.orderLookup`). */
export type OrderLookup = NonNullable<NonNullable<DialectConfig['api']>['orderLookup']>;

/** What the MES said about an order: it does not know it, it knows it (in this state, when the answer says), or it could not be read. */
export type OrderAnswer = { knows: false } | { knows: true; state?: string } | { error: string };

/** The path and query (without `?`) that ask the MES about one order. */
export function orderLookupTarget(lookup: OrderLookup, orderId: string): { path: string; query: string } {
  const path = lookup.path.replaceAll('{orderId}', encodeURIComponent(orderId));
  return { path, query: lookup.query ? new URLSearchParams({ [lookup.query]: orderId }).toString() : '' };
}

/** Whether the answer's status alone says the MES does not know the order (404 unless the dialect says otherwise). */
export function isUnknownStatus(lookup: OrderLookup, status: number): boolean {
  return (lookup.unknownStatus ?? [404]).includes(status);
}

/** Whether a look-up must read the answer's body to know (a `foundPointer`, or a state to read). */
export function needsBody(lookup: OrderLookup): boolean {
  return lookup.foundPointer !== undefined || lookup.statePointer !== undefined;
}

/** Reads the MES's answer about one order by the dialect: status, then `foundPointer`, then the state at `statePointer`. */
export function readOrderAnswer(
  lookup: OrderLookup,
  status: number,
  body: () => unknown,
  stateRule?: NonNullable<DialectConfig['events']['values']>['state'],
): OrderAnswer {
  if (isUnknownStatus(lookup, status)) return { knows: false };
  if (status < 200 || status > 299) return { error: `the MES API answered ${status}` };
  if (!needsBody(lookup)) return { knows: true };
  let document: unknown;
  try {
    document = body();
  } catch {
    return { error: 'the MES answer is not JSON' };
  }
  if (lookup.foundPointer !== undefined) {
    const found = readPointer(document, lookup.foundPointer);
    if (found === undefined || found === null) return { knows: false };
  }
  if (lookup.statePointer === undefined) return { knows: true };
  const state = readText(readPointer(document, lookup.statePointer), stateRule);
  return state
    ? { knows: true, state }
    : { error: `the MES answer has no state at ${lookup.statePointer} (api.orderLookup.statePointer in the dialect)` };
}
