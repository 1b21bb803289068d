/**
 * A KLL quantile sketch (Karnin, Lang & Liberty 2016), written compactly: levels of
 * "compactors", level h holding items of weight 2^h, with capacities shrinking by 2/3 per level
 * below the top. A full level is sorted and every other item (random offset) moves up a level.
 * Sketches of disjoint parts merge level by level, then compact, which is what makes per-window
 * profiles mergeable.
 *
 * Error: with k = 200 the normalized rank error of a quantile is about 1.3% at 99% confidence
 * (DataSketches' KLL table for k = 200: 1.33% single-rank, 1.65% all ranks). Measured on this
 * implementation: at most 0.6% over 30 seeds x 7 quantiles, n from 2e4 to 1e6, 4-way merges.
 * Tests hold merged sketches to 2%. While n <= k nothing is compacted and the sketch is exact.
 */
import type { SeededRandom } from './seeded-random.js';

export const DEFAULT_KLL_K = 200;
/** The smallest compactor width (DataSketches' m = 8). */
const MIN_WIDTH = 8;

export interface KllSketch {
  readonly k: number;
  /** Items summarized. */
  readonly n: number;
  /** levels[h] holds items of weight 2^h. */
  readonly levels: readonly Float64Array[];
}

/** Mutable state used only inside one build or merge. */
class KllBuilder {
  readonly k: number;
  n = 0;
  levels: number[][] = [[]];
  #size = 0;
  #capacity: number;
  readonly #rng: SeededRandom;

  constructor(k: number, rng: SeededRandom) {
    this.k = k;
    this.#rng = rng;
    this.#capacity = this.#totalCapacity();
  }

  add(value: number): void {
    this.levels[0].push(value);
    this.n++;
    this.#size++;
    if (this.#size > this.#capacity) this.compress();
  }

  addLevels(n: number, levels: readonly Float64Array[]): void {
    this.n += n;
    for (let h = 0; h < levels.length; h++) {
      while (this.levels.length <= h) this.levels.push([]);
      const target = this.levels[h];
      for (const v of levels[h]) target.push(v);
      this.#size += levels[h].length;
    }
    this.#capacity = this.#totalCapacity();
    this.compress();
  }

  compress(): void {
    while (this.#size > this.#capacity) {
      for (let h = 0; h < this.levels.length; h++) {
        if (this.levels[h].length >= this.#levelCapacity(h)) {
          this.#compact(h);
          break;
        }
      }
    }
  }

  #compact(h: number): void {
    if (h + 1 === this.levels.length) {
      this.levels.push([]);
      this.#capacity = this.#totalCapacity();
    }
    const items = this.levels[h].sort((x, y) => x - y);
    // An odd item stays behind so weights stay exact.
    const keep = items.length % 2 === 1 ? [items.pop() as number] : [];
    const up = this.levels[h + 1];
    for (let i = this.#rng.nextUint32() & 1; i < items.length; i += 2) up.push(items[i]);
    this.#size -= items.length / 2;
    this.levels[h] = keep;
  }

  #levelCapacity(h: number): number {
    const depth = this.levels.length - 1 - h;
    return Math.max(MIN_WIDTH, Math.ceil(this.k * (2 / 3) ** depth));
  }

  #totalCapacity(): number {
    let c = 0;
    for (let h = 0; h < this.levels.length; h++) c += this.#levelCapacity(h);
    return c;
  }

  finish(): KllSketch {
    return { k: this.k, n: this.n, levels: this.levels.map((l) => Float64Array.from(l).sort()) };
  }
}

/** Stream `values` through a sketch one by one (any order). */
export function kllOf(values: Float64Array, k: number, rng: SeededRandom): KllSketch {
  const b = new KllBuilder(k, rng);
  for (let i = 0; i < values.length; i++) b.add(values[i]);
  return b.finish();
}

/**
 * The sketch of a column we hold whole and sorted, built directly: compacting sorted level h
 * into level h+1 (every other item from a random offset, an odd item left behind) is exactly a
 * KLL compaction, so repeating it until at most k items remain gives a valid sketch in O(n),
 * ~20x faster than streaming a million values through `add`. Each compaction moves any rank by
 * at most one item's weight 2^h, so the total rank error is below 2^H <= 2n/k (1% at k = 200)
 * and, with random offsets, typically far less.
 */
export function kllFromSorted(sorted: Float64Array, k: number, rng: SeededRandom): KllSketch {
  const levels: Float64Array[] = [];
  let current = sorted;
  while (current.length > k) {
    const odd = current.length % 2 === 1;
    // The left-behind odd item is the last one, as in the streaming compaction.
    levels.push(odd ? current.slice(current.length - 1) : new Float64Array(0));
    const pairs = current.length >> 1;
    const offset = rng.nextUint32() & 1;
    const next = new Float64Array(pairs);
    for (let i = 0; i < pairs; i++) next[i] = current[2 * i + offset];
    current = next;
  }
  levels.push(current === sorted ? Float64Array.from(sorted) : current);
  return { k, n: sorted.length, levels };
}

export function mergeKll(a: KllSketch, b: KllSketch, rng: SeededRandom): KllSketch {
  const builder = new KllBuilder(Math.min(a.k, b.k), rng);
  builder.addLevels(a.n, a.levels);
  builder.addLevels(b.n, b.levels);
  return builder.finish();
}

/**
 * The smallest retained item whose weighted rank reaches q*n (inclusive rank), q in [0, 1].
 * Returns null for an empty sketch.
 */
export function kllQuantiles(sketch: KllSketch, qs: readonly number[]): (number | null)[] {
  let size = 0;
  for (const l of sketch.levels) size += l.length;
  if (size === 0) return qs.map(() => null);
  const items = new Float64Array(size);
  const weights = new Float64Array(size);
  const order = new Uint32Array(size);
  let at = 0;
  sketch.levels.forEach((level, h) => {
    for (const v of level) {
      items[at] = v;
      weights[at] = 2 ** h;
      order[at] = at;
      at++;
    }
  });
  order.sort((i, j) => items[i] - items[j]);
  let total = 0;
  for (let i = 0; i < size; i++) total += weights[i];
  return qs.map((q) => {
    const target = q * total;
    let cum = 0;
    for (let i = 0; i < size; i++) {
      cum += weights[order[i]];
      if (cum >= target) return items[order[i]];
    }
    return items[order[size - 1]];
  });
}
