import { describe, expect, it } from 'vitest';
import { stickyPick, targetSeed, unitHash } from '../../src/deployments/sticky-hash.js';

const targets = (weights: number[], names = weights.map((_, i) => `model:${i + 1}`)) =>
  weights.map((weight, i) => ({ seed: targetSeed(names[i]), weight }));

describe('sticky (weighted rendezvous) hashing', () => {
  it('always sends a key to the same target', () => {
    const t = targets([50, 50]);
    for (let i = 0; i < 1000; i++) expect(stickyPick(`user-${i}`, t)).toBe(stickyPick(`user-${i}`, t));
  });

  it('splits keys by weight within 3 standard deviations of the binomial', () => {
    for (const weights of [
      [50, 50],
      [90, 10],
      [70, 20, 10],
    ]) {
      const t = targets(weights);
      const n = 20_000;
      const counts = new Array(weights.length).fill(0);
      for (let i = 0; i < n; i++) counts[stickyPick(`key-${i}`, t)]++;
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, i) => {
        const p = w / total;
        expect(Math.abs(counts[i] - n * p)).toBeLessThan(3 * Math.sqrt(n * p * (1 - p)));
      });
    }
  });

  it('moves only the keys it must when a weight changes or a target is added', () => {
    const before = targets([50, 50], ['a:1', 'b:1']);
    const grown = targets([50, 100], ['a:1', 'b:1']);
    const added = targets([50, 50, 50], ['a:1', 'b:1', 'c:1']);
    let towardB = 0;
    let awayFromB = 0;
    let movedBetweenOld = 0;
    for (let i = 0; i < 10_000; i++) {
      const k = `key-${i}`;
      const was = stickyPick(k, before);
      const now = stickyPick(k, grown);
      if (was === 0 && now === 1) towardB++;
      if (was === 1 && now === 0) awayFromB++;
      const third = stickyPick(k, added);
      if (third !== 2 && third !== was) movedBetweenOld++;
    }
    // Growing B only takes keys from A; adding C only takes keys to C.
    expect(awayFromB).toBe(0);
    expect(towardB).toBeGreaterThan(1000);
    expect(movedBetweenOld).toBe(0);
  });

  it('hashes to the open unit interval, uniformly enough', () => {
    const us = Array.from({ length: 10_000 }, (_, i) => unitHash(`k${i}`, 7));
    expect(us.every((u) => u > 0 && u < 1)).toBe(true);
    expect(Math.abs(us.reduce((a, b) => a + b, 0) / us.length - 0.5)).toBeLessThan(0.01);
  });

  it('ignores targets without weight', () => {
    expect(stickyPick('x', targets([0, 0]))).toBe(-1);
    expect(stickyPick('x', targets([0, 10]))).toBe(1);
  });
});
