import { createHash } from 'node:crypto';

/** A small seeded PRNG (mulberry32): the same seed gives the same jitter and the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A number in [0, 1) fixed by the seed, a purpose and a key (e.g. an order id). Fault selection uses
 * it instead of a random stream so that a test can compute which orders a fault hits, whatever the
 * order in which the simulator happens to see them.
 */
export function seededFraction(seed: number, purpose: string, key: string): number {
  const digest = createHash('sha256').update(`${seed}:${purpose}:${key}`).digest();
  return digest.readUInt32BE(0) / 4294967296;
}

/** A duration around `meanMs`, spread evenly over ±50%. */
export function jittered(random: () => number, meanMs: number): number {
  return Math.max(1, Math.round(meanMs * (0.5 + random())));
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export function shuffleInPlace<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
