/**
 * KS against scipy, computed live by oracle/ks_oracle.py: generated samples on both sides of
 * scipy's exact/asymptotic switch (max(n1, n2) = 10000), heavy ties, unequal sizes and n1 = 1,
 * plus grids of kstwo.sf and smirnov reaching each branch of scipy's implementation.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, ks2samp, ksStatistic, ksTwoSample, smirnovSf } from '../../../src/monitoring/index.js';
import { relErr, runPythonOracle, SCIPY_PIP } from '../fixtures.js';

interface KsOracle {
  versions: Record<string, string>;
  cases: { name: string; a: number[]; b: number[]; statistic: number; pvalue: number }[];
  kstwo: { n: number; x: number; sf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
}

const script = fileURLToPath(new URL('../oracle/ks_oracle.py', import.meta.url));
const TOLERANCE = 1e-6;

describe('ks2samp against scipy.stats.ks_2samp', () => {
  const oracle = runPythonOracle(script, SCIPY_PIP) as KsOracle;

  it('ran scipy', () => {
    // CI pins scipy 1.17.1; these cases also pass against scipy 1.15.2.
    expect(oracle.versions.scipy).toMatch(/^1\.(1[1-9]|[2-9]\d)\./);
  });

  it.each(oracle.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = ks2samp(Float64Array.from(c.a), Float64Array.from(c.b));
    expect(r.method).toBe(Math.max(c.a.length, c.b.length) <= 10000 ? 'exact' : 'asymp');
    expect(relErr(r.statistic, c.statistic)).toBeLessThan(TOLERANCE);
    expect(relErr(r.pValue, c.pvalue)).toBeLessThan(TOLERANCE);
    // The argument order does not matter for the two-sided test.
    const swapped = ks2samp(Float64Array.from(c.b), Float64Array.from(c.a));
    expect(relErr(swapped.pValue, c.pvalue)).toBeLessThan(TOLERANCE);
  });

  it('matches kstwo.sf on a grid over every branch', () => {
    for (const k of oracle.kstwo) {
      expect(relErr(kolmogorovSf(k.n, k.x), k.sf), `kstwo.sf(${k.x}, ${k.n})`).toBeLessThan(TOLERANCE);
    }
  });

  it('matches scipy.special.smirnov on a grid', () => {
    for (const k of oracle.smirnov) {
      expect(relErr(smirnovSf(k.n, k.x), k.sf), `smirnov(${k.n}, ${k.x})`).toBeLessThan(TOLERANCE);
    }
  });
});

describe('ks2samp', () => {
  it('drops NaN and infinities before testing, as Evidently does', () => {
    const a = Float64Array.from([1, 2, 3, Number.NaN, Number.POSITIVE_INFINITY]);
    const b = Float64Array.from([1.5, 2.5, 3.5, Number.NEGATIVE_INFINITY]);
    expect(ks2samp(a, b)).toEqual(ks2samp(Float64Array.from([1, 2, 3]), Float64Array.from([1.5, 2.5, 3.5])));
  });

  it('refuses an empty sample with a clear error', () => {
    expect(() => ks2samp(new Float64Array(0), Float64Array.from([1]))).toThrow(/at least one finite value/);
  });

  it('flags drift when p <= threshold', () => {
    const a = Float64Array.from({ length: 50 }, (_, i) => i);
    const b = Float64Array.from({ length: 50 }, (_, i) => i + 30);
    const r = ksTwoSample(a, b);
    expect(r.method).toBe('ks');
    expect(r.p_value).not.toBeNull();
    expect(r.drifted).toBe((r.p_value as number) <= 0.05);
    expect(ksTwoSample(a, a).drifted).toBe(false);
  });

  it('runs 1,000,000 vs 100,000 rows (asymptotic branch) in well under 100 ms after sorting', () => {
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
    const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const current = Float64Array.from({ length: 1_000_000 }, () => normal() + 0.01).sort();
    const reference = Float64Array.from({ length: 100_000 }, normal).sort();
    ks2samp(reference, current, { sorted: true }); // warm up the JIT
    const t0 = performance.now();
    const r = ks2samp(reference, current, { sorted: true });
    const ms = performance.now() - t0;
    expect(r.method).toBe('asymp');
    expect(r.statistic).toBe(ksStatistic(reference, current));
    expect(ms).toBeLessThan(100);
  });
});
