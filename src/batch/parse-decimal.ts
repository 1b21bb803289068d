/**
 * Decimal text to a number, straight from the bytes of a Buffer, with the value `parseFloat` would
 * give.
 *
 * Fast path (Clinger 1990, "How to read floating point numbers accurately"): with at most 15
 * significant digits the digits form an integer m < 2^53, exact as a double, and with a decimal
 * exponent of magnitude at most 22, 10^e is exact too; one IEEE multiplication or division of two
 * exact operands is correctly rounded, so `m * 10^e` (or `m / 10^-e`) is the correctly rounded value
 * of the text, the same double `parseFloat` returns. Everything else (more digits, larger exponents,
 * `NaN`, `Infinity`) goes through `parseFloat` on the slice, after a strict syntax check, so every
 * accepted value is exactly what the slow path would give.
 *
 * bench/batch/README.md has the measurements that made this worth writing (csv-parse + Number is
 * several times slower on numeric CSV).
 */

const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

const ZERO = 48;
const DOT = 46;
const PLUS = 43;
const MINUS = 45;
const LOWER_E = 101;
const UPPER_E = 69;

/** Returned for text that is not a number; callers check with `Number.isNaN` only after `ok`. */
export const NOT_A_NUMBER = Symbol('not a number');

/**
 * The number written in `bytes[start, end)`, or NaN with `result.ok = false` when the text is not a
 * decimal number (the caller reports it). Leading and trailing spaces are not allowed: callers trim.
 */
export function parseDecimal(bytes: Uint8Array, start: number, end: number, result: ParseResult): number {
  let i = start;
  let negative = false;
  const first = bytes[i];
  if (first === MINUS) {
    negative = true;
    i++;
  } else if (first === PLUS) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let any = false;
  // Leading zeros carry no precision; skipping them keeps 0.000123456 on the fast path.
  while (i < end && bytes[i] === ZERO) {
    i++;
    any = true;
  }
  while (i < end) {
    const d = bytes[i] - ZERO;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    any = true;
    i++;
  }
  if (i < end && bytes[i] === DOT) {
    i++;
    if (digits === 0) {
      while (i < end && bytes[i] === ZERO) {
        i++;
        scale--;
        any = true;
      }
    }
    while (i < end) {
      const d = bytes[i] - ZERO;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      scale--;
      any = true;
      i++;
    }
  }
  if (!any) return slowPath(bytes, start, end, result);
  if (i < end) {
    const c = bytes[i];
    if (c !== LOWER_E && c !== UPPER_E) return slowPath(bytes, start, end, result);
    i++;
    let expNegative = false;
    if (bytes[i] === MINUS) {
      expNegative = true;
      i++;
    } else if (bytes[i] === PLUS) i++;
    let exp = 0;
    let expDigits = 0;
    while (i < end) {
      const d = bytes[i] - ZERO;
      if (d < 0 || d > 9) break;
      if (exp < 100_000) exp = exp * 10 + d;
      expDigits++;
      i++;
    }
    if (expDigits === 0 || i < end) return slowPath(bytes, start, end, result);
    scale += expNegative ? -exp : exp;
  }
  result.ok = true;
  if (digits > 15 || scale > 22 || scale < -22) return slowPath(bytes, start, end, result);
  const value = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  return negative ? -value : value;
}

export interface ParseResult {
  ok: boolean;
}

/** Decimal syntax (JSON's, plus a leading `+` and a bare `.5` or `5.`), or a spelled-out NaN/infinity. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

function slowPath(bytes: Uint8Array, start: number, end: number, result: ParseResult): number {
  const text = latin1(bytes, start, end);
  return parseDecimalText(text, result);
}

/** The same rules as `parseDecimal`, for text already decoded (JSON Lines strings, CSV quoted cells). */
export function parseDecimalText(text: string, result: ParseResult): number {
  if (DECIMAL.test(text)) {
    result.ok = true;
    return Number.parseFloat(text);
  }
  const special = SPECIAL[text.toLowerCase()];
  result.ok = special !== undefined;
  return special ?? Number.NaN;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
