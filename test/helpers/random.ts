import { shuffleInPlace } from '../../sim/shared/seeded.js';

export { pick, seededRandom } from '../../sim/shared/seeded.js';

/** Shuffles each consecutive window of `size` items: reordering bounded like a real broker's redeliveries. */
export function shuffleWithinWindows<T>(random: () => number, items: readonly T[], size: number): T[] {
  const out: T[] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(...shuffleInPlace(random, items.slice(start, start + size)));
  return out;
}
