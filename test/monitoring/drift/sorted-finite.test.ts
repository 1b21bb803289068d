import { describe, expect, it } from 'vitest';
import { sortedFinite } from '../../../src/monitoring/index.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('sortedFinite (radix sort above 4,096 values)', () => {
  const rand = seeded(3);
  const generators: [string, () => number][] = [
    ['wide range with both signs', () => (rand() - 0.5) * 10 ** (Math.floor(rand() * 40) - 20)],
    ['few distinct integers', () => Math.floor(rand() * 7) - 3],
    ['signed zeros', () => (rand() < 0.5 ? -0 : 0)],
    ['subnormals', () => (rand() - 0.5) * 1e-310],
    [
      'non-finite mixed in',
      () => [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, rand()][Math.floor(rand() * 4)],
    ],
  ];
  it.each(generators)('%s', (_name, gen) => {
    for (const n of [10, 4095, 4096, 100_000]) {
      const values = Float64Array.from({ length: n }, gen);
      const expected = Float64Array.from(values.filter(Number.isFinite)).sort();
      const got = sortedFinite(values);
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) {
        if (!Object.is(got[i], expected[i]))
          throw new Error(`n=${n}: index ${i}: ${got[i]} vs ${expected[i]}`);
      }
    }
  });

  it('does not modify its input', () => {
    const values = Float64Array.from({ length: 10_000 }, () => rand());
    const copy = Float64Array.from(values);
    sortedFinite(values);
    expect(values).toEqual(copy);
  });
});
