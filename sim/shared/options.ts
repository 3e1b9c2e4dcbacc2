/** A bad command-line flag: the CLI prints the message and the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface NumberRange {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** Parses a numeric flag; undefined (flag absent) gives the fallback. */
export function numberFlag(name: string, raw: string | undefined, fallback: number, range: NumberRange = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = range;
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  if (integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number, got ${raw}`);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

/** A share of orders or messages: a number in [0, 1]. */
export function shareFlag(name: string, raw: string | undefined, fallback = 0): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`--${name} must be a share between 0 and 1 (e.g. 0.05 for 5%), got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function optionalIntegerFlag(
  name: string,
  raw: string | undefined,
  range: NumberRange = {},
): number | undefined {
  return raw === undefined ? undefined : numberFlag(name, raw, 0, { ...range, integer: true });
}
