/** A small seeded PRNG (mulberry32): property tests print the seed so a failure can be replayed. */
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

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Shuffles each consecutive window of `size` items: reordering bounded like a real broker's redeliveries. */
export function shuffleWithinWindows<T>(random: () => number, items: readonly T[], size: number): T[] {
  const out = [...items];
  for (let start = 0; start < out.length; start += size) {
    const end = Math.min(start + size, out.length);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  return out;
}
