import type { Test } from 'tap';

/** Answers to identical POSTs sent at once under one Idempotency-Key: each 202 or 409, and every 202 names the same order. */
export async function checkOneOrderAccepted(t: Test, responses: Response[]): Promise<void> {
  const statuses = responses.map((r) => r.status);
  t.ok(
    statuses.every((s) => s === 202 || s === 409),
    `only 202 and 409: ${[...new Set(statuses)].join(', ')}`,
  );
  const ids = new Set(
    await Promise.all(
      responses.filter((r) => r.status === 202).map(async (r) => ((await r.json()) as { id: string }).id),
    ),
  );
  t.equal(ids.size, 1, 'every accepted answer names the same order');
}
