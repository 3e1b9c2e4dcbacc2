export interface FaultSwitches {
  apiLatencyMs?: number;
  apiDown?: boolean;
}

export type ParsedSwitches = { ok: true; value: FaultSwitches } | { ok: false; pointer: string; message: string };

/** Validates the body of POST /faults. */
export function parseFaultSwitches(body: unknown): ParsedSwitches {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, pointer: '', message: 'the body must be a JSON object' };
  const value: FaultSwitches = {};
  for (const [key, field] of Object.entries(body)) {
    switch (key) {
      case 'apiLatencyMs':
        if (typeof field !== 'number' || !Number.isInteger(field) || field < 0 || field > 60000)
          return {
            ok: false,
            pointer: '/apiLatencyMs',
            message: 'must be a whole number of milliseconds between 0 and 60000',
          };
        value.apiLatencyMs = field;
        break;
      case 'apiDown':
        if (typeof field !== 'boolean') return { ok: false, pointer: '/apiDown', message: 'must be true or false' };
        value.apiDown = field;
        break;
      default:
        return {
          ok: false,
          pointer: `/${key}`,
          message: `unknown switch ${JSON.stringify(key)}; known: apiLatencyMs, apiDown`,
        };
    }
  }
  return { ok: true, value };
}
