/**
 * Reads a V2 infer request body (protocols.md A.6) straight from its bytes, decoding the `data` of
 * FP32 and FP64 inputs into typed arrays as it goes.
 *
 * Why: for a single-row request of 30 floats, `JSON.parse` of the body and the codec's copy into
 * a Float32Array cost ~3.7 µs on this machine, most of it turning 17-digit decimals (what Python
 * prints for a float32 value) into doubles; with this reader the same takes ~1.9 µs and allocates
 * no array (`npx tsx bench/serving/body-costs.ts`; bench/serving/README.md).
 *
 * It reads one narrow shape and declines everything else: `read` returns null and the caller parses
 * with `JSON.parse`, so a body always means exactly what `JSON.parse` makes of it and a malformed
 * body always gets `JSON.parse`'s own message. Declined: anything that is not valid JSON, duplicate
 * keys, `__proto__`, `data` of other datatypes or holding anything but numbers, and nesting that
 * the codec would refuse. Values other than `inputs` and each input's `shape` and `data` (`id`,
 * `parameters`, `outputs`...) are handed to `JSON.parse` one by one.
 *
 * Numbers become what `JSON.parse` gives: the double nearest the decimal, then, for FP32, the float
 * nearest that double. The exact shortcut (Clinger's: at most 15 digits and a power of ten up to
 * 1e22 give one correctly rounded operation) covers short decimals. For FP32, a 16–19 digit decimal
 * is computed in doubles to within 2^-49 relative and kept only if every double within 2^-48 of it
 * rounds to the same float, which is true unless it lies next to the midpoint between two floats;
 * anything else goes through `Number` of its text. The tests check all three paths against
 * `JSON.parse`.
 */

import { elementCount, type TensorArena, type V2RequestInput } from '../../index.js';
import type { InferBody } from './v2-infer.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Exact powers of ten: 10^22 is the largest a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** How far (relative) a computed FP32 value may stand from a float midpoint and still be kept. */
const FP32_WINDOW = 2 ** -48;
/** Scratch space beyond this many numbers (8 MiB) is let go after the request that needed it. */
const MAX_KEPT_SCRATCH = 1 << 20;
/** Deeper `data` nesting is left to the codec (which refuses past 32 levels). */
const MAX_DATA_DEPTH = 8;

/**
 * Keys are matched on their bytes, so the common ones cost no string: candidates by length and
 * first letter, then compared (a loop over the whole list measured ~40 ns a key).
 */
const KNOWN_KEYS = ['inputs', 'name', 'datatype', 'shape', 'data', 'id', 'parameters', 'outputs'];
const KEYS_BY_LENGTH: readonly (readonly string[])[] = Array.from({ length: 11 }, (_, n) =>
  KNOWN_KEYS.filter((k) => k.length === n),
);

const EMPTY = Buffer.alloc(0);

/** Thrown inside the reader to give a body up; `read` turns it into null. */
const DECLINE = Symbol('decline');

interface DataScan {
  /** Numbers read, all of them, flattened. */
  count: number;
  /** Elements of the outer array (what `data.length` is after JSON.parse). */
  top: number;
  nested: boolean;
  firstIsArray: boolean;
}

export class V2BodyReader {
  readonly #arena: TensorArena;
  #b: Buffer = EMPTY;
  #i = 0;
  /** Numbers of the `data` being read; reused across requests, grown as needed. */
  #scratch = new Float64Array(256);
  /** Where a shape's numbers are parsed, one at a time. */
  readonly #one = new Float64Array(1);
  /** The last input name and datatype read: requests to one model repeat them. */
  readonly #last = ['', ''];

  constructor(arena: TensorArena) {
    this.#arena = arena;
  }

  /** The body, or null when `JSON.parse` must judge it. */
  read(bytes: Buffer): InferBody | null {
    this.#b = bytes;
    this.#i = 0;
    try {
      this.#skipSpace();
      if (bytes[this.#i] !== OPEN_BRACE) return null;
      const body = this.#body();
      this.#skipSpace();
      return this.#i === bytes.length ? body : null;
    } catch {
      // A decline, or anything unexpected: JSON.parse then reads the body the ordinary way.
      return null;
    } finally {
      this.#b = EMPTY;
      // A huge request must not pin its scratch space for the life of the server.
      if (this.#scratch.length > MAX_KEPT_SCRATCH) this.#scratch = new Float64Array(256);
    }
  }

  #body(): InferBody {
    const body: InferBody & Record<string, unknown> = {};
    for (let key = this.#firstKey(); key !== null; key = this.#nextKey()) {
      if (key === 'inputs' && body.inputs === undefined) {
        body.inputs = this.#b[this.#i] === OPEN_BRACKET ? this.#inputs() : this.#anyValue();
      } else if (key === 'id' && body.id === undefined) body.id = this.#text();
      else this.#member(body, key);
    }
    return body;
  }

  #inputs(): unknown[] {
    const list: unknown[] = [];
    this.#i++;
    this.#skipSpace();
    if (this.#b[this.#i] === CLOSE_BRACKET) {
      this.#i++;
      return list;
    }
    for (;;) {
      list.push(this.#b[this.#i] === OPEN_BRACE ? this.#input() : this.#anyValue());
      this.#skipSpace();
      const c = this.#b[this.#i++];
      if (c === CLOSE_BRACKET) return list;
      if (c !== COMMA) throw DECLINE;
      this.#skipSpace();
    }
  }

  /** One input; its `data` is read into the scratch array and copied out once its datatype is known. */
  #input(): V2RequestInput {
    const input = {} as V2RequestInput & Record<string, unknown>;
    let scan: DataScan | null = null;
    for (let key = this.#firstKey(); key !== null; key = this.#nextKey()) {
      if (key === 'name' && input.name === undefined) input.name = this.#repeated(0) as string;
      else if (key === 'datatype' && input.datatype === undefined)
        input.datatype = this.#repeated(1) as string;
      else if (key === 'shape' && input.shape === undefined) input.shape = this.#shape() as number[];
      else if (key === 'data') {
        if (scan !== null) throw DECLINE;
        if (this.#b[this.#i] !== OPEN_BRACKET) throw DECLINE;
        scan = this.#numbers(input.datatype === 'FP32');
      } else this.#member(input, key);
    }
    if (scan !== null) input.data = this.#typedData(scan, input.datatype, input.shape);
    return input;
  }

  /**
   * Any other member, as JSON.parse reads it. Declines a key seen before (JSON.parse keeps the
   * last) and `__proto__` (it would set the prototype).
   */
  #member(into: Record<string, unknown>, key: string): void {
    if (key === '__proto__' || Object.hasOwn(into, key)) throw DECLINE;
    into[key] = this.#anyValue();
  }

  /** With the cursor on `{`: the first key, the cursor on its value; null for `{}`. */
  #firstKey(): string | null {
    this.#i++;
    this.#skipSpace();
    if (this.#b[this.#i] !== CLOSE_BRACE) return this.#key();
    this.#i++;
    return null;
  }

  /** After a member's value: the next key, the cursor on its value; null past the closing `}`. */
  #nextKey(): string | null {
    this.#skipSpace();
    const c = this.#b[this.#i++];
    if (c === CLOSE_BRACE) return null;
    if (c !== COMMA) throw DECLINE;
    this.#skipSpace();
    return this.#key();
  }

  /** A key (one of KNOWN_KEYS costs no new string), the cursor moved onto its value. */
  #key(): string {
    if (this.#b[this.#i] !== QUOTE) throw DECLINE;
    const end = this.#plainStringEnd();
    let key: string;
    if (end < 0) key = this.#anyValue() as string;
    else {
      key = this.#knownKey(this.#i + 1, end) ?? this.#b.toString('latin1', this.#i + 1, end);
      this.#i = end + 1;
    }
    this.#skipSpace();
    if (this.#b[this.#i++] !== COLON) throw DECLINE;
    this.#skipSpace();
    return key;
  }

  /**
   * A plain string that is most often the same as last time (an input's name, its datatype): the
   * previous string when the bytes match, so no new one is built.
   */
  #repeated(slot: 0 | 1): unknown {
    const end = this.#b[this.#i] === QUOTE ? this.#plainStringEnd() : -1;
    if (end < 0) return this.#text();
    const last = this.#last[slot];
    const text = this.#match1(last, this.#i + 1, end) ? last : this.#b.toString('latin1', this.#i + 1, end);
    this.#last[slot] = text;
    this.#i = end + 1;
    return text;
  }

  /** A value that is most often a plain ASCII string; anything else as JSON.parse reads it. */
  #text(): unknown {
    if (this.#b[this.#i] !== QUOTE) return this.#anyValue();
    const end = this.#plainStringEnd();
    if (end < 0) return this.#anyValue();
    const text = this.#b.toString('latin1', this.#i + 1, end);
    this.#i = end + 1;
    return text;
  }

  /** A `shape` of plain numbers as an array; anything else as JSON.parse reads it. */
  #shape(): unknown {
    const b = this.#b;
    const start = this.#i;
    if (b[start] !== OPEN_BRACKET) return this.#anyValue();
    const shape: number[] = [];
    this.#i++;
    this.#skipSpace();
    if (b[this.#i] === CLOSE_BRACKET) {
      this.#i++;
      return shape;
    }
    for (;;) {
      const c = b[this.#i];
      if (c !== MINUS && (c < ZERO || c > NINE)) {
        this.#i = start;
        return this.#anyValue();
      }
      this.#number(false, this.#one, 0);
      shape.push(this.#one[0]);
      this.#skipSpace();
      const next = b[this.#i++];
      if (next === CLOSE_BRACKET) return shape;
      if (next !== COMMA) throw DECLINE;
      this.#skipSpace();
    }
  }

  /**
   * The numbers of a `data` array, nested or flat, into the scratch array in row-major order. With
   * `fp32`, values only need to round to the right float (see the file comment).
   */
  #numbers(fp32: boolean): DataScan {
    const b = this.#b;
    let depth = 0;
    let count = 0;
    let top = 0;
    let nested = false;
    let firstIsArray = false;
    for (;;) {
      if (b[this.#i] <= 0x20) this.#skipSpace();
      if (b[this.#i] === OPEN_BRACKET) {
        if (depth === 1 && top++ === 0) firstIsArray = true;
        if (depth >= 1) nested = true;
        if (++depth > MAX_DATA_DEPTH) throw DECLINE;
        this.#i++;
        this.#skipSpace();
        if (b[this.#i] !== CLOSE_BRACKET) continue;
        this.#i++;
        depth--;
      } else {
        if (depth === 1) top++;
        if (count === this.#scratch.length) this.#grow();
        this.#number(fp32, this.#scratch, count++);
        if (b[this.#i] === COMMA) {
          this.#i++;
          continue;
        }
      }
      // After a value: close arrays until a comma, or the outer array ends.
      for (;;) {
        if (depth === 0) return { count, top, nested, firstIsArray };
        this.#skipSpace();
        const c = b[this.#i++];
        if (c === COMMA) break;
        if (c !== CLOSE_BRACKET) throw DECLINE;
        depth--;
      }
    }
  }

  /**
   * The scanned numbers as the input's typed array. Declines when the codec would not read them
   * as given: another datatype, or nesting it refuses (a flat-looking outer array with arrays
   * inside, which it does not flatten).
   */
  #typedData(scan: DataScan, datatype: unknown, shape: unknown): Float32Array | Float64Array {
    if (datatype !== 'FP32' && datatype !== 'FP64') throw DECLINE;
    if (scan.nested) {
      if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) throw DECLINE;
      if (scan.top === elementCount(shape) && !scan.firstIsArray) throw DECLINE;
    }
    const n = scan.count;
    const out = datatype === 'FP32' ? this.#arena.float32(n) : this.#arena.float64(n);
    const scratch = this.#scratch;
    for (let k = 0; k < n; k++) out[k] = scratch[k];
    return out;
  }

  /**
   * One JSON number at the cursor (declined unless it follows JSON's grammar exactly), stored in
   * `into[at]`: returning a double from a call boxes it, which cost more than the parsing. The
   * first 18 significant digits are gathered as two 9-digit integers (integer steps: a chain of
   * double multiply-adds per digit measured ~30% slower); more digits go to `Number`.
   */
  #number(fp32: boolean, into: Float64Array, at: number): void {
    const b = this.#b;
    const start = this.#i;
    let i = start;
    let c = b[i];
    const negative = c === MINUS;
    if (negative) c = b[++i];
    let high = 0;
    let highDigits = 0;
    let low = 0;
    let lowDigits = 0;
    let exponent = 0;
    // Each phase is its own loop: one test per character instead of three.
    if (c === ZERO) {
      c = b[++i];
      if (c >= ZERO && c <= NINE) throw DECLINE; // a leading zero
    } else if (c > ZERO && c <= NINE) {
      while (highDigits < 9 && c >= ZERO && c <= NINE) {
        high = (high * 10 + (c - ZERO)) | 0;
        highDigits++;
        c = b[++i];
      }
      while (lowDigits < 9 && c >= ZERO && c <= NINE) {
        low = (low * 10 + (c - ZERO)) | 0;
        lowDigits++;
        c = b[++i];
      }
    } else throw DECLINE;
    let dropped = c >= ZERO && c <= NINE;
    while (c >= ZERO && c <= NINE) c = b[++i];
    if (c === DOT) {
      c = b[++i];
      if (!(c >= ZERO && c <= NINE)) throw DECLINE;
      if (highDigits === 0) {
        // Leading zeros of a fraction are not significant digits.
        while (c === ZERO) {
          exponent--;
          c = b[++i];
        }
      }
      while (highDigits < 9 && c >= ZERO && c <= NINE) {
        high = (high * 10 + (c - ZERO)) | 0;
        highDigits++;
        exponent--;
        c = b[++i];
      }
      while (lowDigits < 9 && c >= ZERO && c <= NINE) {
        low = (low * 10 + (c - ZERO)) | 0;
        lowDigits++;
        exponent--;
        c = b[++i];
      }
      if (c >= ZERO && c <= NINE) dropped = true;
      while (c >= ZERO && c <= NINE) c = b[++i];
    }
    if (c === 0x65 || c === 0x45) {
      c = b[++i];
      const sign = c === MINUS ? -1 : 1;
      if (c === MINUS || c === PLUS) c = b[++i];
      if (!(c >= ZERO && c <= NINE)) throw DECLINE;
      let e = 0;
      do {
        if (e < 100000) e = e * 10 + (c - ZERO);
        c = b[++i];
      } while (c >= ZERO && c <= NINE);
      exponent += sign * e;
    }
    this.#i = i;
    let value: number;
    const digits = highDigits + lowDigits;
    if (dropped || exponent < -22 || exponent > 22) value = this.#slowNumber(start, i, negative);
    else {
      const mantissa = lowDigits === 0 ? high : high * POW10[lowDigits] + low;
      value = exponent < 0 ? mantissa / POW10[-exponent] : mantissa * POW10[exponent];
      if (digits > 15) {
        // Not exact: good enough only for FP32, and only away from a midpoint between two floats.
        const near = Math.fround(value * (1 - FP32_WINDOW)) !== Math.fround(value * (1 + FP32_WINDOW));
        if (!fp32 || near) value = this.#slowNumber(start, i, negative);
      }
    }
    into[at] = negative ? -value : value;
  }

  /** The magnitude of the number in [start, end), by the engine's own conversion. */
  #slowNumber(start: number, end: number, negative: boolean): number {
    return Number(this.#b.toString('latin1', negative ? start + 1 : start, end));
  }

  /** Any JSON value at the cursor, as JSON.parse reads it on its own. */
  #anyValue(): unknown {
    const start = this.#i;
    this.#skipValue();
    try {
      return JSON.parse(this.#b.toString('utf8', start, this.#i));
    } catch {
      throw DECLINE;
    }
  }

  /** Moves past one JSON value without judging it (JSON.parse does, in #anyValue). */
  #skipValue(): void {
    const b = this.#b;
    const c = b[this.#i];
    if (c === QUOTE) {
      this.#i = this.#stringEnd(this.#i) + 1;
      return;
    }
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      while (this.#i < b.length && !isDelimiter(b[this.#i])) this.#i++;
      return;
    }
    let depth = 0;
    do {
      const d = b[this.#i];
      if (d === QUOTE) this.#i = this.#stringEnd(this.#i);
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) depth--;
      else if (d === undefined) throw DECLINE;
      this.#i++;
    } while (depth > 0);
  }

  /** Index of the closing quote of the string opening at `at`, escapes honoured. */
  #stringEnd(at: number): number {
    const b = this.#b;
    for (let i = at + 1; i < b.length; i++) {
      const c = b[i];
      if (c === QUOTE) return i;
      if (c === BACKSLASH) i++;
    }
    throw DECLINE;
  }

  /** The closing quote of the string at the cursor if it is plain ASCII with no escape, else -1. */
  #plainStringEnd(): number {
    const b = this.#b;
    for (let i = this.#i + 1; i < b.length; i++) {
      const c = b[i];
      if (c === QUOTE) return i;
      if (c === BACKSLASH || c < 0x20 || c > 0x7e) return -1;
    }
    throw DECLINE;
  }

  /** The known key spelled by bytes [from, to), or null. */
  #knownKey(from: number, to: number): string | null {
    const candidates = KEYS_BY_LENGTH[to - from];
    if (candidates === undefined) return null;
    const first = this.#b[from];
    for (let k = 0; k < candidates.length; k++) {
      const key = candidates[k];
      if (key.charCodeAt(0) === first && this.#match1(key, from, to)) return key;
    }
    return null;
  }

  /** Whether bytes [from, to) spell `name` (ASCII). */
  #match1(name: string, from: number, to: number): boolean {
    if (name.length !== to - from) return false;
    const b = this.#b;
    for (let k = 0; k < name.length; k++) if (b[from + k] !== name.charCodeAt(k)) return false;
    return true;
  }

  #skipSpace(): void {
    const b = this.#b;
    if (b[this.#i] > 0x20) return;
    let c = b[this.#i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.#i];
  }

  #grow(): void {
    const bigger = new Float64Array(this.#scratch.length * 2);
    bigger.set(this.#scratch);
    this.#scratch = bigger;
  }
}

/** Bytes that end a number or literal. */
function isDelimiter(c: number): boolean {
  return (
    c === COMMA ||
    c === CLOSE_BRACE ||
    c === CLOSE_BRACKET ||
    c === 0x20 ||
    c === 0x0a ||
    c === 0x0d ||
    c === 0x09
  );
}
