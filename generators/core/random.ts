// One PRNG interface for the whole package, backed by seedrandom's Alea generator. Every generator
// takes a Random; nothing calls Math.random. faker receives the same stream as its randomizer, so a
// sample is a pure function of its seed.
import seedrandom from 'seedrandom';
import type { Randomizer } from '@faker-js/faker';

/** A seeded source of uniform numbers with the helpers generators need. */
export class Random implements Randomizer {
  private prng: seedrandom.PRNG;

  /**
   * @param seed Any string; equal seeds give equal streams on every machine.
   * @example new Random('7/ruler/niah').int(0, 9)
   */
  constructor(seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  /** Uniform float in [0, 1). faker's Randomizer contract (bound: faker calls it detached). */
  readonly next = (): number => this.prng.quick();

  /** faker's Randomizer contract: reseed the stream. */
  seed(seed: number | number[]): void {
    this.prng = seedrandom.alea(Array.isArray(seed) ? seed.join(',') : String(seed));
  }

  /**
   * Uniform integer in [min, max], both inclusive.
   * @throws RangeError when max < min.
   */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`Max ${max} should be greater than or equal to min ${min}.`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * One element of a non-empty array.
   * @throws RangeError on an empty array.
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Cannot pick from an empty array.');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * `count` distinct elements, in random order.
   * @throws RangeError when count exceeds the number of items.
   */
  sample<T>(items: readonly T[], count: number): T[] {
    if (count > items.length) {
      throw new RangeError(`Cannot take ${count} distinct items from ${items.length}.`);
    }
    // Partial Fisher-Yates: only the first `count` positions are drawn.
    const out = items.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.next() * (out.length - i));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out.slice(0, count);
  }

  /** A string of `length` characters drawn from `alphabet`. */
  string(alphabet: string, length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  /** A child stream, independent of how much of this one is consumed later. */
  fork(label: string): Random {
    return new Random(`${this.int(0, 2 ** 31)}:${label}`);
  }
}
