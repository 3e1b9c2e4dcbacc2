import type { MappingConfig } from '../contracts/generated/config/mapping.js';
import { readPointer } from './json-pointer.js';

/** The fields Orderbridge needs from any MES event, read by the JSON Pointers in mapping.yaml. */
export interface MesEventFields {
  eventId: string;
  orderId: string;
  state: string;
  occurredAt: string;
  correlationId?: string;
  reason?: string;
}

export type ReadMesEventResult =
  | { ok: true; fields: MesEventFields }
  | { ok: false; problems: string[] };

const requiredFields = ['eventId', 'orderId', 'state', 'occurredAt'] as const;
const optionalFields = ['correlationId', 'reason'] as const;

export function readMesEvent(message: unknown, paths: MappingConfig['paths']): ReadMesEventResult {
  const problems: string[] = [];
  const fields: Partial<MesEventFields> = {};
  for (const name of requiredFields) {
    const value = readPointer(message, paths[name]);
    if (typeof value === 'string' && value.length > 0) fields[name] = value;
    else problems.push(`${name}: expected a non-empty string at ${paths[name]}, found ${describe(value)}`);
  }
  for (const name of optionalFields) {
    const pointer = paths[name];
    const value = pointer === undefined ? undefined : readPointer(message, pointer);
    if (typeof value === 'string') fields[name] = value;
  }
  if (fields.occurredAt !== undefined && Number.isNaN(Date.parse(fields.occurredAt))) {
    problems.push(`occurredAt: ${JSON.stringify(fields.occurredAt)} at ${paths.occurredAt} is not a date-time`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, fields: fields as MesEventFields };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return typeof value === 'string' ? 'an empty string' : `a ${typeof value}`;
}
