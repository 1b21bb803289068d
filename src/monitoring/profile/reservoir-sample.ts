/**
 * A bounded uniform sample of a column's finite values, kept so that exact tests (KS, the
 * Wasserstein distance) can run from a stored profile. While a column has no more values than
 * the capacity, the sample *is* the column and those tests are exact.
 *
 * Building uses Li's Algorithm L (skips ahead instead of drawing per value). Merging keeps
 * uniformity over the union: the number taken from each side is hypergeometric in the two
 * population sizes, then that many are drawn without replacement from each side's sample.
 * Values are stored sorted, since every consumer wants them sorted.
 */
import type { SeededRandom } from './seeded-random.js';

export const DEFAULT_RESERVOIR_CAPACITY = 10_000;

export interface ReservoirSample {
  readonly capacity: number;
  /** Finite values the sample stands for. */
  readonly seen: number;
  /** min(capacity, seen) values, sorted ascending. */
  readonly values: Float64Array;
}

/** Sample `capacity` of `values` (all finite, in any order: positions are what is drawn) uniformly. */
export function reservoirOf(values: Float64Array, capacity: number, rng: SeededRandom): ReservoirSample {
  const n = values.length;
  if (n <= capacity) return { capacity, seen: n, values: Float64Array.from(values).sort() };
  const sample = values.slice(0, capacity);
  // Algorithm L (Li 1994): W is the running maximum of `capacity` uniform keys.
  let w = Math.exp(Math.log(uniformOpen(rng)) / capacity);
  let i = capacity - 1;
  for (;;) {
    i += Math.floor(Math.log(uniformOpen(rng)) / Math.log(1 - w)) + 1;
    if (i >= n) break;
    sample[rng.nextInt(capacity)] = values[i];
    w *= Math.exp(Math.log(uniformOpen(rng)) / capacity);
  }
  return { capacity, seen: n, values: sample.sort() };
}

/** A uniform sample of the union of the two populations the samples stand for. */
export function mergeReservoirs(a: ReservoirSample, b: ReservoirSample, rng: SeededRandom): ReservoirSample {
  const capacity = Math.min(a.capacity, b.capacity);
  const seen = a.seen + b.seen;
  const m = Math.min(capacity, seen);
  // How many of the m come from a: hypergeometric(seen, a.seen, m), drawn sequentially.
  let restA = a.seen;
  let restB = b.seen;
  let fromA = 0;
  for (let t = 0; t < m; t++) {
    if (rng.next() * (restA + restB) < restA) {
      fromA++;
      restA--;
    } else {
      restB--;
    }
  }
  const out = new Float64Array(m);
  drawWithoutReplacement(a.values, fromA, rng, out, 0);
  drawWithoutReplacement(b.values, m - fromA, rng, out, fromA);
  return { capacity, seen, values: out.sort() };
}

function drawWithoutReplacement(
  source: Float64Array,
  k: number,
  rng: SeededRandom,
  out: Float64Array,
  at: number,
): void {
  if (k > source.length) {
    throw new RangeError(`reservoir merge needs ${k} values from a sample of ${source.length}`);
  }
  if (k === source.length) {
    out.set(source, at);
    return;
  }
  const pool = Float64Array.from(source);
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(pool.length - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
    out[at + i] = pool[i];
  }
}

/** Uniform in (0, 1]: logarithms above must never see 0. */
function uniformOpen(rng: SeededRandom): number {
  return 1 - rng.next();
}
