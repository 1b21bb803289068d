import { describe, expect, it } from 'vitest';
import {
  chiSquareTest,
  DRIFT_METHODS,
  defaultMethod,
  detectDrift,
  driftColumnFromCounts,
  fromJSON,
  jensenShannonTest,
  profileFromColumns,
  psiTest,
  toJSON,
  zTest,
} from '../../../src/monitoring/index.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function normals(n: number, mean: number, sd: number, rand: () => number): Float64Array {
  return Float64Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()),
  );
}

function categories(n: number, shares: Record<string, number>, rand: () => number): string[] {
  const entries = Object.entries(shares);
  return Array.from({ length: n }, () => {
    let u = rand();
    for (const [k, p] of entries) {
      if (u < p) return k;
      u -= p;
    }
    return entries[entries.length - 1][0];
  });
}

describe('defaultMethod (Evidently _get_default_stattest)', () => {
  it.each([
    [1000, 'numeric', 100, 'ks'],
    [1001, 'numeric', 100, 'wasserstein'],
    [1000, 'numeric', 5, 'chisquare'],
    [1000, 'numeric', 2, 'z'],
    [5000, 'numeric', 5, 'jensenshannon'],
    [5000, 'numeric', 2, 'jensenshannon'],
    [1000, 'categorical', 3, 'chisquare'],
    [1000, 'categorical', 2, 'z'],
    [1001, 'categorical', 2, 'jensenshannon'],
    [1001, 'categorical', 50, 'jensenshannon'],
  ] as const)('%i reference rows, %s with %i values -> %s', (rows, kind, unique, method) => {
    expect(defaultMethod(rows, kind, unique)).toBe(method);
  });

  it('assumes many values when not told', () => {
    expect(defaultMethod(10, 'numeric')).toBe('ks');
    expect(defaultMethod(10, 'categorical')).toBe('chisquare');
    expect(defaultMethod(10_000, 'numeric')).toBe('wasserstein');
  });
});

describe('detectDrift', () => {
  const rand = seeded(99);
  const reference = {
    a: normals(5000, 0, 1, rand),
    b: normals(5000, 10, 2, rand),
    colour: categories(5000, { red: 0.5, green: 0.3, blue: 0.2 }, rand),
    flag: Float64Array.from({ length: 5000 }, () => (rand() < 0.2 ? 1 : 0)),
  };
  const current = {
    a: normals(3000, 0.5, 1, rand),
    b: normals(3000, 10, 2, rand),
    colour: categories(3000, { red: 0.2, green: 0.3, blue: 0.5 }, rand),
    flag: Float64Array.from({ length: 3000 }, () => (rand() < 0.2 ? 1 : 0)),
  };

  it('uses Evidently defaults for a large reference and reports the preset shape', () => {
    const r = detectDrift(reference, current);
    expect(r.columns.a).toMatchObject({
      method: 'wasserstein',
      kind: 'numeric',
      p_value: null,
      drifted: true,
    });
    expect(r.columns.b).toMatchObject({ method: 'wasserstein', drifted: false });
    expect(r.columns.colour).toMatchObject({ method: 'jensenshannon', kind: 'categorical', drifted: true });
    expect(r.columns.flag).toMatchObject({ method: 'jensenshannon', kind: 'numeric', drifted: false });
    expect(r).toMatchObject({
      dataset_drift: true,
      drift_share: 0.5,
      drifted_columns: 2,
      number_of_columns: 4,
      share_threshold: 0.5,
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('takes per-column methods and thresholds, and a dataset share', () => {
    const r = detectDrift(reference, current, {
      shareThreshold: 0.75,
      perColumn: { a: { method: 'ks' }, b: { threshold: 0.0001 }, colour: { method: 'chisquare' } },
    });
    expect(r.columns.a.method).toBe('ks');
    expect(r.columns.a.p_value).toBeLessThan(1e-10);
    expect(r.columns.b).toMatchObject({ method: 'wasserstein', threshold: 0.0001, drifted: true });
    expect(r.columns.colour).toMatchObject({ method: 'chisquare', drifted: true });
    expect(r.dataset_drift).toBe(true);
    expect(detectDrift(reference, current, { columns: ['b'] }).number_of_columns).toBe(1);
  });

  it('runs every method on a numeric column', () => {
    for (const method of DRIFT_METHODS) {
      if (method === 'chisquare' || method === 'z') continue; // 5000 distinct values: not categories
      const r = detectDrift({ a: reference.a }, { a: current.a }, { method });
      expect(r.columns.a.method).toBe(method);
      expect(Number.isFinite(r.columns.a.statistic)).toBe(true);
    }
    const flag = detectDrift({ f: reference.flag }, { f: current.flag }, { method: 'z' });
    expect(flag.columns.f.drifted).toBe(false);
  });

  it('compares a stored reference profile with a raw window', () => {
    const stored = fromJSON(JSON.parse(JSON.stringify(toJSON(profileFromColumns(reference)))));
    const fromProfile = detectDrift(stored, current);
    const fromRaw = detectDrift(reference, current);
    // 5,000 rows fit in the 10,000-value reservoir: the profile holds the whole reference.
    expect(fromProfile).toEqual(fromRaw);
  });

  it('approximates from a sampled reference profile and agrees on the verdicts', () => {
    const small = profileFromColumns(reference, { reservoirSize: 1000 });
    const approx = detectDrift(small, current);
    const exact = detectDrift(reference, current);
    for (const name of Object.keys(exact.columns)) {
      expect(approx.columns[name].method).toBe(exact.columns[name].method);
      expect(approx.columns[name].drifted).toBe(exact.columns[name].drifted);
    }
    // The Wasserstein distance from a 1,000-value sample is close to the exact one.
    expect(Math.abs(approx.columns.a.statistic - exact.columns.a.statistic)).toBeLessThan(0.05);
    // A window profiled on the reference's edges works as the current side too.
    const window = profileFromColumns(current, { reference: small, reservoirSize: 1000 });
    const both = detectDrift(small, window, { method: 'psi', columns: ['a', 'b'] });
    expect(both.columns.a.drifted).toBe(true);
    expect(both.columns.b.drifted).toBe(false);
  });

  it('rejects bad input with errors that name the column', () => {
    expect(() => detectDrift(reference, { a: current.a })).toThrow(/column "b" is not in the current data/);
    expect(() => detectDrift({ a: reference.a }, { a: ['x'] })).toThrow(
      /reference is numeric but current is categorical/,
    );
    expect(() => detectDrift({ c: reference.colour }, { c: current.colour }, { method: 'ks' })).toThrow(
      /needs numeric columns/,
    );
    expect(() => detectDrift({ a: reference.a }, { a: Float64Array.of(Number.NaN) })).toThrow(
      /column "a": the current data has no non-missing values/,
    );
  });
});

describe('category tests from counts', () => {
  it('runs chi-square, Z, PSI and Jensen–Shannon on count maps', () => {
    const ref = driftColumnFromCounts(
      new Map([
        ['a', 500],
        ['b', 300],
        ['c', 200],
      ]),
    );
    const same = driftColumnFromCounts(
      new Map([
        ['a', 50],
        ['b', 30],
        ['c', 20],
      ]),
    );
    const moved = driftColumnFromCounts(
      new Map([
        ['a', 20],
        ['b', 30],
        ['c', 50],
      ]),
    );
    expect(chiSquareTest(ref, same)).toMatchObject({
      method: 'chisquare',
      statistic: 0,
      p_value: 1,
      drifted: false,
    });
    expect(chiSquareTest(ref, moved).drifted).toBe(true);
    expect(psiTest(ref, same).statistic).toBe(0);
    expect(jensenShannonTest(ref, moved).drifted).toBe(true);
    const yes = driftColumnFromCounts(
      new Map([
        ['no', 80],
        ['yes', 20],
      ]),
    );
    expect(
      zTest(
        yes,
        driftColumnFromCounts(
          new Map([
            ['no', 40],
            ['yes', 60],
          ]),
        ),
      ).drifted,
    ).toBe(true);
  });
});
