const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a config duration such as 500ms, 30s, 5m, 2h or 3d (the schema guarantees the form). */
export function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(duration)} (use e.g. 500ms, 30s, 5m, 2h, 3d)`);
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}
