import { describe, expect, it } from 'vitest';
import { RequestIds } from '../../src/server/request-ids.js';

describe('RequestIds', () => {
  it('gives version 4 UUIDs, all different, across many refills of its pool', () => {
    const ids = new RequestIds();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = ids.next();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(20_000);
  });

  it('uses every hex digit in every free position (the bytes are random, not a counter)', () => {
    const ids = new RequestIds();
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = ids.next();
      for (let at = 0; at < 36; at++) digits[at].add(id[at]);
    }
    const fixed = new Set([8, 13, 14, 18, 19, 23]);
    for (let at = 0; at < 36; at++) if (!fixed.has(at)) expect(digits[at].size, `position ${at}`).toBe(16);
    expect([...digits[19]].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
