/**
 * Number formatting for text outputs: float32 values in their shortest round-trip form (the fewest
 * digits that read back, through parseFloat and a float32 rounding, to the same float32), integers
 * and doubles as JavaScript prints them.
 */
import { describe, expect, it } from 'vitest';
import { OutputBytes, shortestFloat32Slow } from '../../src/batch/output-bytes.js';

function printed(write: (o: OutputBytes) => void): string {
  const out = new OutputBytes(16);
  write(out);
  return out.bytes().toString('latin1');
}

describe('OutputBytes', () => {
  it('prints float32 values that read back exactly, never longer than the shortest toPrecision', () => {
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    const values = [
      0.5, 1, 100, 1e-7, 0.1, 1e14, 123456789, 3.4e38, 1.4e-45, 0.0032926615700125694, 65504, -0.75,
    ];
    for (let i = 0; i < 20_000; i++) {
      values.push(rnd(), Math.exp((rnd() - 0.5) * 80), (rnd() - 0.5) * 1e6, Math.round(rnd() * 1e5) / 1e3);
    }
    for (const v of values.map(Math.fround)) {
      const text = printed((o) => o.float32(v));
      expect(Math.fround(Number(text)), `${v} printed as ${text}`).toBe(v);
      const digits = (t: string) =>
        t.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length;
      expect(digits(text), `${v} printed as ${text}`).toBeLessThanOrEqual(digits(shortestFloat32Slow(v)));
    }
    expect(printed((o) => o.float32(Math.fround(0.0032926615700125694)))).toBe('0.0032926616');
    expect(printed((o) => o.float32(0))).toBe('0');
    expect(printed((o) => o.float32(Number.NaN))).toBe('NaN');
  });

  it('prints integers and doubles as JavaScript does, growing as needed', () => {
    for (const n of [0, 7, -7, 10, 2147483647, 2147483648, -2147483649, Number.MAX_SAFE_INTEGER]) {
      expect(printed((o) => o.integer(n))).toBe(String(n));
    }
    for (const v of [0.1, -1.5e-300, 1e21, 123.456, 2 ** 60])
      expect(printed((o) => o.float64(v))).toBe(String(v));
    const out = new OutputBytes(4);
    for (let i = 0; i < 1000; i++) out.text('ab');
    expect(out.length).toBe(2000);
  });
});
