import { describe, expect, it } from 'vitest';
import {
  type DatasetProfile,
  fromJSON,
  kllQuantiles,
  linearQuantile,
  mergeProfiles,
  type NumericColumnProfile,
  profileFromColumns,
  QUANTILE_LEVELS,
  type QuantileName,
  toJSON,
} from '../../../src/monitoring/index.js';
import { FIXTURES, readNumericCsv, relErr } from '../fixtures.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function makeColumns(n: number, seed: number) {
  const rand = seeded(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const small = new Float64Array(n);
  const colour: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = rand() < 0.05 ? Number.NaN : Math.exp(2 * rand()) * 100 - 3;
    y[i] = i % 997 === 0 ? Number.POSITIVE_INFINITY : -1e6 + 2e6 * rand();
    small[i] = Math.floor(rand() * 4);
    colour.push(rand() < 0.1 ? null : ['red', 'green', 'blue', 'amber', 'teal'][Math.floor(rand() ** 2 * 5)]);
  }
  return { x, y, small, colour };
}

function split<T extends Record<string, Float64Array | (string | null)[]>>(cols: T, at: number): [T, T] {
  const a: Record<string, unknown> = {};
  const b: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cols)) {
    a[k] = v.slice(0, at);
    b[k] = v.slice(at);
  }
  return [a as T, b as T];
}

function numeric(p: DatasetProfile, name: string): NumericColumnProfile {
  const c = p.columns[name];
  if (c.kind !== 'numeric') throw new Error(`${name} is not numeric`);
  return c;
}

/** Normalized rank of v in sorted data: the share of values <= v. */
function rankOf(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

describe('profileFromColumns', () => {
  it('profiles the breast-cancer training set like numpy would', () => {
    const cols = readNumericCsv(`${FIXTURES}/datasets/breast_cancer_train.csv`);
    const p = profileFromColumns(cols);
    const c = numeric(p, 'mean_radius');
    const values = Float64Array.from(cols.mean_radius).sort();
    expect(p.rows).toBe(398);
    expect(c).toMatchObject({ kind: 'numeric', count: 398, missing: 0, missingShare: 0, infinite: 0 });
    expect(c.min).toBe(values[0]);
    expect(c.max).toBe(values[397]);
    expect(c.quantilesExact).toBe(true);
    for (const [name, q] of Object.entries(QUANTILE_LEVELS)) {
      expect(c.quantiles?.[name as QuantileName]).toBe(linearQuantile(values, q));
    }
    // np.histogram_bin_edges(..., "sturges"): ceil(log2(398) + 1) = 10 bins.
    expect(c.histogram?.edges.length).toBe(11);
    expect(c.histogram?.counts.reduce((s, v) => s + v, 0)).toBe(398);
    const ones = cols.target.filter((v) => v === 1).length;
    expect(numeric(p, 'target').valueCounts).toEqual(
      new Map([
        [1, ones],
        [0, 398 - ones],
      ]),
    );
  });

  it('counts missing and infinite values and leaves them out of the statistics', () => {
    const p = profileFromColumns({
      v: Float64Array.of(1, Number.NaN, 3, Number.NEGATIVE_INFINITY, 5),
      c: ['a', null, 'b', 'a', null],
    });
    expect(numeric(p, 'v')).toMatchObject({ count: 5, missing: 1, missingShare: 0.2, infinite: 1, mean: 3 });
    expect(numeric(p, 'v').std).toBeCloseTo(Math.sqrt(8 / 3), 15);
    const c = p.columns.c;
    expect(c.kind === 'categorical' && c.categories.counts).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    expect(c).toMatchObject({ missing: 2, missingShare: 0.4 });
  });

  it('rejects columns of different lengths', () => {
    expect(() => profileFromColumns({ a: Float64Array.of(1, 2), b: ['x'] })).toThrow(
      /column "b": expected 2 rows like "a", got 1/,
    );
  });
});

describe('mergeProfiles', () => {
  it('merges two halves into the profile of the whole (exact while under the reservoir bound)', () => {
    const cols = makeColumns(8000, 1);
    const whole = profileFromColumns(cols);
    const [first, second] = split(cols, 3000);
    const merged = mergeProfiles(
      profileFromColumns(first, { reference: whole }),
      profileFromColumns(second, { reference: whole }),
    );
    expect(merged.rows).toBe(8000);
    for (const name of ['x', 'y', 'small']) {
      const m = numeric(merged, name);
      const w = numeric(whole, name);
      expect(m.count).toBe(w.count);
      expect(m.missing).toBe(w.missing);
      expect(m.infinite).toBe(w.infinite);
      expect(m.min).toBe(w.min);
      expect(m.max).toBe(w.max);
      expect(relErr(m.mean as number, w.mean as number)).toBeLessThan(1e-9);
      expect(relErr(m.std as number, w.std as number)).toBeLessThan(1e-9);
      expect(m.histogram).toEqual(w.histogram);
      expect(m.valueCounts).toEqual(w.valueCounts);
      // Every finite value fits in the 10,000-value reservoir: quantiles are numpy's, exactly.
      expect(m.quantilesExact).toBe(true);
      expect(m.reservoir.values).toEqual(w.reservoir.values);
      expect(m.quantiles).toEqual(w.quantiles);
    }
    expect(merged.columns.colour).toEqual(whole.columns.colour);
  });

  it('keeps quantiles within the KLL error bound and the reservoir bounded past the bound', () => {
    const n = 120_000;
    const cols = { x: makeColumns(n, 2).x };
    const parts = [0, 20_000, 70_000, 95_000, n].slice(1).map((end, i, ends) => {
      const start = i === 0 ? 0 : ends[i - 1];
      return profileFromColumns({ x: cols.x.slice(start, end) }, { seed: i + 1 });
    });
    const merged = parts.reduce((acc, p) => mergeProfiles(acc, p));
    const whole = numeric(profileFromColumns(cols), 'x');
    const m = numeric(merged, 'x');
    expect(m.count).toBe(n);
    expect(relErr(m.mean as number, whole.mean as number)).toBeLessThan(1e-9);
    expect(relErr(m.std as number, whole.std as number)).toBeLessThan(1e-9);
    expect(m.quantilesExact).toBe(false);
    expect(m.reservoir.values.length).toBe(10_000);
    expect(m.reservoir.seen).toBe(n - m.missing);
    const sorted = Float64Array.from(cols.x.filter(Number.isFinite)).sort();
    for (const [name, q] of Object.entries(QUANTILE_LEVELS)) {
      const estimate = m.quantiles?.[name as QuantileName] as number;
      // KLL with k = 200: normalized rank error about 1.3% (99% confidence); we hold it to 2%.
      expect(Math.abs(rankOf(sorted, estimate) - q), name).toBeLessThan(0.02);
    }
    const sketchItems = m.sketch.levels.reduce((s, l) => s + l.length, 0);
    expect(sketchItems).toBeLessThan(1000);
    const [lowest, highest] = kllQuantiles(m.sketch, [0, 1]) as number[];
    expect(lowest).toBeGreaterThanOrEqual(sorted[0]);
    expect(highest).toBeLessThanOrEqual(sorted[sorted.length - 1]);
  });

  it('keeps the merged reservoir uniform over both parts', () => {
    // Part A holds 0..29999, part B 30000..99999: a uniform sample of the union has ~30% from A.
    const a = profileFromColumns({ v: Float64Array.from({ length: 30_000 }, (_, i) => i) }, { seed: 5 });
    const b = profileFromColumns(
      { v: Float64Array.from({ length: 70_000 }, (_, i) => 30_000 + i) },
      { seed: 6 },
    );
    const sample = numeric(mergeProfiles(a, b), 'v').reservoir.values;
    expect(sample.length).toBe(10_000);
    const fromA = sample.filter((v) => v < 30_000).length / sample.length;
    // Binomial sd at n = 10,000 is 0.0046: 5 sd.
    expect(Math.abs(fromA - 0.3)).toBeLessThan(0.023);
    const mean = sample.reduce((s, v) => s + v, 0) / sample.length;
    expect(Math.abs(mean - 49_999.5)).toBeLessThan(5 * (28_867 / 100));
    expect(new Set(sample).size).toBe(sample.length);
  });

  it('folds categories beyond top-k into "other" and says so', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `c${i % 50}`);
    const p = profileFromColumns({ c: values }, { topK: 10 });
    const c = p.columns.c;
    if (c.kind !== 'categorical') throw new Error('expected categorical');
    expect(c.categories.counts.size).toBe(10);
    expect(c.categories.other).toBe(800);
    expect(c.categories.truncated).toBe(true);
    const m = mergeProfiles(p, p).columns.c;
    expect(m.kind === 'categorical' && m.categories.other).toBe(1600);
  });

  it('refuses profiles with different columns', () => {
    const a = profileFromColumns({ x: Float64Array.of(1) });
    const b = profileFromColumns({ y: Float64Array.of(1) });
    expect(() => mergeProfiles(a, b)).toThrow(/only in the first \[x\], only in the second \[y\]/);
  });

  it('re-bins, marked inexact, when the edges differ', () => {
    const a = profileFromColumns({ x: Float64Array.from({ length: 100 }, (_, i) => i) });
    const b = profileFromColumns({ x: Float64Array.from({ length: 100 }, (_, i) => 50 + i) });
    const h = numeric(mergeProfiles(a, b), 'x').histogram;
    expect(h?.exact).toBe(false);
    const total = (h?.counts.reduce((s, v) => s + v, 0) ?? 0) + (h?.underflow ?? 0) + (h?.overflow ?? 0);
    expect(total).toBeCloseTo(200, 9);
  });
});

describe('profile JSON', () => {
  it('round-trips exactly through JSON text', () => {
    const p = profileFromColumns(makeColumns(15_000, 3), { reservoirSize: 500 });
    const back = fromJSON(JSON.parse(JSON.stringify(toJSON(p))));
    expect(back).toEqual(p);
    expect(toJSON(back)).toEqual(toJSON(p));
  });

  it('names the field that is wrong', () => {
    const json = toJSON(profileFromColumns({ x: Float64Array.of(1, 2, 3) })) as unknown as {
      columns: { x: { reservoir: { seen: unknown } } };
    };
    json.columns.x.reservoir.seen = -1;
    expect(() => fromJSON(json)).toThrow(
      /profile\.columns\["x"\]\.reservoir\.seen: expected a non-negative integer, got -1/,
    );
    expect(() => fromJSON({ format: 'other' })).toThrow(
      /profile\.format: expected "slipway\.profile", got "other"/,
    );
  });
});
