import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/deployments/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('reads quantiles within 2% of the exact order statistic, at any scale', () => {
    for (const scale of [0.05, 1, 40, 2000]) {
      const h = new LatencyHistogram();
      const values: number[] = [];
      let seed = 42;
      for (let i = 0; i < 5000; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const v = scale * (0.5 + (seed / 2 ** 31) ** 3 * 10);
        values.push(v);
        h.observe(v);
      }
      values.sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.99]) {
        const exact = values[Math.ceil(q * values.length) - 1];
        expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(0.021);
      }
    }
  });

  it('merges sparse copies by adding buckets (several processes → one)', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) (i % 2 ? a : b).observe(i);
    const merged = new LatencyHistogram();
    merged.addSparse(a.toSparse());
    merged.addSparse(b.toSparse());
    expect(merged.count).toBe(100);
    expect(merged.quantile(0.5)!).toBeCloseTo(50, -0.5);
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });
});
