/**
 * A growable byte buffer that text outputs (CSV, JSON Lines) are formatted into, number by number,
 * without building strings: at a million rows a second, a string per cell is most of the cost.
 *
 * Floats are written in the shortest form that reads back to the same value: FP64 as JavaScript
 * prints it (ECMA-262 Number::toString is the shortest round trip), FP32 with the fewest significant
 * digits whose decimal value, read as a double and rounded to float32 (what `parseFloat`, numpy and
 * pandas do), gives the same float32 again — `0.0032926616`, not the double expansion
 * `0.0032926615700125694`.
 */

/** Exact powers of ten, 10^0 to 10^22 (the largest a double holds exactly). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const MINUS = 45;
const DOT = 46;
const ZERO = 48;

export class OutputBytes {
  buf: Buffer;
  length = 0;
  readonly #digits = new Uint8Array(24);

  constructor(capacity = 1 << 20) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  clear(): void {
    this.length = 0;
  }

  /** The filled part (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  byte(b: number): void {
    if (this.length >= this.buf.length) this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** Pre-encoded bytes (a CSV header, a JSON key). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Text as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  /** A safe integer. */
  integer(n: number): void {
    this.ensure(24);
    if (n < 0) {
      this.buf[this.length++] = MINUS;
      n = -n;
    }
    if (n < 10) {
      this.buf[this.length++] = ZERO + n;
      return;
    }
    if (n > Number.MAX_SAFE_INTEGER) {
      this.text(String(n));
      return;
    }
    const digits = this.#digits;
    let count = 0;
    if (n < 2147483648) {
      let v = n | 0;
      while (v > 0) {
        const q = (v / 10) | 0;
        digits[count++] = v - q * 10;
        v = q;
      }
    } else {
      while (n > 0) {
        const q = Math.floor(n / 10);
        digits[count++] = n - q * 10;
        n = q;
      }
    }
    for (let i = count - 1; i >= 0; i--) this.buf[this.length++] = ZERO + digits[i];
  }

  /** A double, as JavaScript prints it (non-finite values as `NaN`, `Infinity`, `-Infinity`). */
  float64(v: number): void {
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER && !Object.is(v, -0)) this.integer(v);
    else this.text(String(v));
  }

  /** A float32 value (held in a double), in its shortest round-trip form. */
  float32(v: number): void {
    if (!Number.isFinite(v) || v === 0) {
      this.text(v === 0 ? '0' : String(v));
      return;
    }
    const x = Math.abs(v);
    // Outside this range the powers of ten below stop being exact; such values are rare in model outputs.
    if (x < 1e-7 || x >= 1e15) {
      this.text(shortestFloat32Slow(v));
      return;
    }
    const target = Math.fround(x);
    const e = Math.floor(Math.log10(x));
    // Binary search for the fewest significant digits that read back to the same float32 (9 always
    // do): a round trip that works with p digits works with more, and 3-4 probes beat counting up.
    let lo = 1;
    let hi = 9;
    let bestM = -1;
    let bestK = 0;
    while (lo < hi) {
      const p = (lo + hi) >> 1;
      const k = e - p + 1;
      const m = roundTrip(x, k, target);
      if (m >= 0) {
        hi = p;
        bestM = m;
        bestK = k;
      } else lo = p + 1;
    }
    if (bestM < 0 || hi !== e - bestK + 1) {
      bestK = e - hi + 1;
      bestM = roundTrip(x, bestK, target);
      if (bestM < 0) {
        this.text(shortestFloat32Slow(v));
        return;
      }
    }
    this.#decimal(v < 0, bestM, bestK);
  }

  /** Writes m × 10^k in plain notation (these magnitudes never need an exponent). */
  #decimal(negative: boolean, m: number, k: number): void {
    while (k < 0 && m % 10 === 0) {
      m /= 10;
      k++;
    }
    // m has at most 10 digits (9 significant, plus one when rounding carried), so int32 arithmetic
    // extracts them unless it is past 2^31.
    const digits = this.#digits;
    let count = 0;
    if (m < 2147483648) {
      let n = m | 0;
      do {
        const q = (n / 10) | 0;
        digits[count++] = n - q * 10;
        n = q;
      } while (n > 0);
    } else {
      do {
        const q = Math.floor(m / 10);
        digits[count++] = m - q * 10;
        m = q;
      } while (m > 0);
    }
    this.ensure(count + 32);
    const buf = this.buf;
    let at = this.length;
    if (negative) buf[at++] = MINUS;
    if (k >= 0) {
      for (let i = count - 1; i >= 0; i--) buf[at++] = ZERO + digits[i];
      for (let i = 0; i < k; i++) buf[at++] = ZERO;
    } else {
      const point = count + k; // digits before the decimal point
      if (point <= 0) {
        buf[at++] = ZERO;
        buf[at++] = DOT;
        for (let i = point; i < 0; i++) buf[at++] = ZERO;
        for (let i = count - 1; i >= 0; i--) buf[at++] = ZERO + digits[i];
      } else {
        for (let i = count - 1; i >= 0; i--) {
          buf[at++] = ZERO + digits[i];
          if (i === count - point && i > 0) buf[at++] = DOT;
        }
      }
    }
    this.length = at;
  }
}

/**
 * The decimal nearest x with its last digit at 10^k, as the integer m of m × 10^k, when it reads back
 * to `target` (as m × 10^k or m / 10^-k computes it: one correctly rounded operation on exact
 * operands, parse-decimal.ts); -1 when it does not.
 */
function roundTrip(x: number, k: number, target: number): number {
  if (k >= 0) {
    const m = Math.round(x / POW10[k]);
    return Math.fround(m * POW10[k]) === target ? m : -1;
  }
  const m = Math.round(x * POW10[-k]);
  return Math.fround(m / POW10[-k]) === target ? m : -1;
}

/** The shortest `toPrecision` that reads back to the same float32. */
export function shortestFloat32Slow(v: number): string {
  const target = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === target) return String(Number(s));
  }
  return String(Number(v.toPrecision(9)));
}
