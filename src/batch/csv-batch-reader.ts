/**
 * A purpose-built CSV reader for batch prediction: RFC 4180 fields (quotes, doubled quotes, line
 * breaks inside quotes, CRLF or LF) parsed straight from Buffers into the batch's typed arrays, with
 * numbers decoded from the bytes (parse-decimal.ts) and no per-row or per-cell objects for numeric
 * columns. Measured against csv-parse and DuckDB in bench/batch/README.md: csv-parse plus `Number`
 * was several times slower on 30 float columns, which is what made this worth writing.
 *
 * Only the columns the plan uses are decoded; the rest are skipped. A row is only committed to the
 * batch once it is complete and valid, so a row cut by the end of a read buffer is simply parsed
 * again after the refill, and a bad row leaves nothing behind.
 */
import fs from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';
import { toFloat16Bits } from '../runtime/float16.js';
import { type BatchReader, excerpt, type ReadRange } from './batch-reader.js';
import { countLines } from './count-lines.js';
import { COLUMN_KIND, type InputPlan } from './input-plan.js';
import { type ParseResult, parseDecimal, parseDecimalText } from './parse-decimal.js';
import type { RejectedRow, RowBatch } from './row-batch.js';

const LF = 10;
const ZERO = 48;
const DOT = 46;
const MINUS = 45;
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

const ROW_OK = 0;
const ROW_BAD = 1;
const ROW_BLANK = 2;
const ROW_INCOMPLETE = 3;

const READ_SIZE = 1 << 20;

export interface CsvReaderOptions {
  /** One ASCII character; default `,`. */
  delimiter?: string;
}

export class CsvBatchReader implements BatchReader {
  readonly columns: readonly string[];
  readonly size: number;
  readonly #path: string;
  readonly #fh: fs.FileHandle;
  readonly #delimiter: number;
  #buf: Buffer;
  /** Unparsed bytes are `#buf[#pos, #end)`; `#buf[0]` is at file offset `#bufOffset`. */
  #pos = 0;
  #end = 0;
  #bufOffset = 0;
  #filePos = 0;
  #eof = false;
  /** File offset and line of the first data row (after the header). */
  #dataStart = 0;
  #dataLine = 2;
  /** Line of the reader's first row, or null until counted (a shard that starts mid-file). */
  #lineAtStart: number | null = null;
  #startOffset = 0;
  /** Line breaks consumed since the first row. */
  #lines = 0;
  #stopAt: number | null = null;
  /** Rows consumed since the start of the range (refused ones included), plus the resumed count. */
  #row = 0;
  #plan: InputPlan | null = null;
  /** Per file column: the width of the input it feeds (its row stride). */
  #widths = new Int32Array(0);
  /** Per file column: 1 when it may take the fast float path (a float input, not copied through). */
  #fast = new Uint8Array(0);
  /** Per file column: the float buffer of the batch being filled (set at each read). */
  #targets: (Float32Array | Float64Array)[] = [];
  #done = false;
  // Per-row scratch, reused.
  readonly #parsed: ParseResult = { ok: false };
  #errorColumn = -1;
  #errorReason = '';
  #errorValue: string | null = null;

  private constructor(path: string, fh: fs.FileHandle, size: number, delimiter: number) {
    this.#path = path;
    this.#fh = fh;
    this.size = size;
    this.#delimiter = delimiter;
    this.#buf = Buffer.allocUnsafe(READ_SIZE);
    this.columns = [];
  }

  /** Opens `path` and reads its header. */
  static async open(path: string, options: CsvReaderOptions = {}): Promise<CsvBatchReader> {
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 127 || '"\r\n'.includes(delimiter)) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `CSV delimiter must be one ASCII character, got "${delimiter}"`,
      );
    }
    const fh = await fs.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const reader = new CsvBatchReader(path, fh, size, delimiter.charCodeAt(0));
      await reader.#readHeader();
      return reader;
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  get position(): number {
    return this.#bufOffset + this.#pos;
  }

  async start(plan: InputPlan, range: ReadRange): Promise<void> {
    this.#plan = plan;
    this.#widths = Int32Array.from(plan.inputOf, (i) => (i >= 0 ? plan.inputs[i].width : 0));
    this.#fast = Uint8Array.from(plan.kinds, (k, c) =>
      k === COLUMN_KIND.float && plan.passOf[c] < 0 ? 1 : 0,
    );
    this.#stopAt = range.to;
    this.#row = range.start?.row ?? 0;
    let offset = this.#dataStart;
    this.#lineAtStart = this.#dataLine;
    if (range.start !== null) {
      offset = range.start.offset;
      // A shard's lines may not have been counted when its checkpoint was written.
      this.#lineAtStart = Number.isNaN(range.start.line) ? null : range.start.line;
    } else if (range.from !== null && range.from > this.#dataStart) {
      // A shard's share starts at the first row that begins at or after `from`: the row under way
      // at `from - 1` belongs to the shard before (Hadoop's line record reader does the same).
      // Rows cut here must not hold line breaks inside quotes; see docs/batch-kubernetes.md.
      offset = await this.#nextLineStart(range.from - 1);
      this.#lineAtStart = null;
    }
    this.#startOffset = offset;
    this.#lines = 0;
    this.#seek(offset);
  }

  async read(batch: RowBatch): Promise<boolean> {
    batch.reset();
    const plan = this.#plan;
    if (plan === null) throw new Error('CsvBatchReader.start() was not called');
    const empty = new Float32Array(0);
    this.#targets = Array.from(plan.inputOf, (i, c) =>
      i >= 0 && plan.kinds[c] === COLUMN_KIND.float
        ? (batch.inputs[i] as Float32Array | Float64Array)
        : empty,
    );
    while (!this.#done && batch.rows < batch.capacity) {
      if (this.#pos >= this.#end) {
        if (this.#eof) {
          this.#done = true;
          break;
        }
        await this.#refill();
        continue;
      }
      if (this.#stopAt !== null && this.#bufOffset + this.#pos >= this.#stopAt) {
        this.#done = true;
        break;
      }
      const lineBefore = this.#lines;
      const status = this.#parseRow(plan, batch);
      if (status === ROW_INCOMPLETE) {
        this.#lines = lineBefore;
        await this.#refill();
        continue;
      }
      if (status === ROW_OK) {
        batch.rows++;
        batch.rowsRead++;
      } else if (status === ROW_BAD) {
        batch.rowsRead++;
        batch.rejects.push(this.#reject(plan, lineBefore));
      }
    }
    if (batch.rejects.length > 0 && this.#lineAtStart === null) await this.#countStartLine();
    const base = this.#lineAtStart;
    if (base !== null) for (const r of batch.rejects) r.line += base;
    batch.end.offset = this.#bufOffset + this.#pos;
    batch.end.line = base === null ? Number.NaN : base + this.#lines;
    this.#row += batch.rowsRead;
    batch.end.row = this.#row;
    return batch.rowsRead > 0 || !this.#done;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }

  /**
   * Parse one row at `#pos`. Numeric cells go straight into the batch's arrays at row `batch.rows`;
   * the row only counts once the caller sees ROW_OK. On ROW_INCOMPLETE nothing has moved.
   */
  #parseRow(plan: InputPlan, batch: RowBatch): number {
    const buf = this.#buf;
    const end = this.#end;
    const eof = this.#eof;
    const delim = this.#delimiter;
    const kinds = plan.kinds;
    const inputOf = plan.inputOf;
    const offsetOf = plan.offsetOf;
    const passOf = plan.passOf;
    const nColumns = kinds.length;
    const widths = this.#widths;
    const fast = this.#fast;
    const targets = this.#targets;
    const row = batch.rows;
    const parsed = this.#parsed;
    let i = this.#pos;
    let field = 0;
    let lines = 0;
    let failed = false;
    this.#errorColumn = -1;

    // A blank line (nothing but a line break) is skipped, not a row.
    const first = buf[i];
    if (first === LF || first === CR) {
      if (first === CR && i + 1 >= end && !eof) return ROW_INCOMPLETE;
      this.#pos = first === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      this.#lines++;
      return ROW_BLANK;
    }

    for (;;) {
      // Fast path, the common case: an unquoted float cell of at most 15 digits and no exponent,
      // decoded while it is scanned (parse-decimal.ts explains why the result is exact). `#buf[#end]`
      // always holds a 0 sentinel, so the digit loops need no bounds checks.
      if (field < nColumns && fast[field] === 1 && !failed) {
        let j = i;
        let c = buf[j];
        const negative = c === MINUS;
        if (negative) c = buf[++j];
        let mantissa = 0;
        let digits = 0;
        let scale = 0;
        let d = c - ZERO;
        while (d >= 0 && d <= 9) {
          mantissa = mantissa * 10 + d;
          digits++;
          d = buf[++j] - ZERO;
        }
        if (d === DOT - ZERO) {
          d = buf[++j] - ZERO;
          while (d >= 0 && d <= 9) {
            mantissa = mantissa * 10 + d;
            digits++;
            scale++;
            d = buf[++j] - ZERO;
          }
        }
        if (j >= end && !eof) return ROW_INCOMPLETE;
        c = buf[j];
        if (digits > 0 && digits <= 15 && (j >= end || c === delim || c === LF || c === CR)) {
          const value = scale === 0 ? mantissa : mantissa / POW10[scale];
          targets[field][row * widths[field] + offsetOf[field]] = negative ? -value : value;
          i = j;
          field++;
          if (i >= end) break;
          if (c === delim) {
            i++;
            if (i >= end && !eof) return ROW_INCOMPLETE;
            if (i >= end) {
              field++;
              break;
            }
            continue;
          }
          if (c === CR) {
            if (i + 1 >= end && !eof) return ROW_INCOMPLETE;
            i += buf[i + 1] === LF ? 2 : 1;
          } else i++;
          lines++;
          break;
        }
        // Anything else (exponents, long mantissas, blanks, quotes, bad text): the general path.
      }

      // One field: [a, b) of raw bytes, or a quoted one.
      let a = i;
      let b: number;
      let quoted = false;
      let escapes = false;
      if (buf[i] === QUOTE) {
        quoted = true;
        let j = i + 1;
        for (;;) {
          if (j >= end) {
            if (!eof) return ROW_INCOMPLETE;
            this.#fail(field, 'a quoted field is not closed before the end of the file', null);
            b = end;
            break;
          }
          const c = buf[j];
          if (c === QUOTE) {
            if (j + 1 < end && buf[j + 1] === QUOTE) {
              escapes = true;
              j += 2;
              continue;
            }
            if (j + 1 >= end && !eof) return ROW_INCOMPLETE;
            b = j;
            j++;
            break;
          }
          if (c === LF) lines++;
          j++;
        }
        a = i + 1;
        i = j;
        // After the closing quote only a delimiter or a line break may follow.
        if (i < end && buf[i] !== delim && buf[i] !== LF && buf[i] !== CR) {
          this.#fail(field, 'unexpected text after a closing quote', null);
          while (i < end && buf[i] !== delim && buf[i] !== LF && buf[i] !== CR) i++;
          if (i >= end && !eof) return ROW_INCOMPLETE;
        }
      } else {
        let j = i;
        while (j < end) {
          const c = buf[j];
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        if (j >= end && !eof) return ROW_INCOMPLETE;
        b = j;
        i = j;
      }

      if (field < nColumns && this.#errorColumn < 0) {
        const kind = kinds[field];
        if (kind !== COLUMN_KIND.ignore) {
          let value: number;
          if (kind === COLUMN_KIND.text) {
            this.#storeText(
              batch,
              inputOf[field],
              offsetOf[field],
              row,
              fieldText(buf, a, b, quoted, escapes),
            );
            value = 0;
          } else {
            // Numbers: trim blanks, then parse the bytes (or the unescaped text of a quoted cell).
            let s = a;
            let e = b;
            while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
            while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
            if (s === e) {
              this.#fail(field, 'empty value; a number is required', '');
              value = 0;
            } else {
              value = escapes
                ? parseDecimalText(fieldText(buf, s, e, true, true), parsed)
                : parseDecimal(buf, s, e, parsed);
              if (!parsed.ok) {
                this.#fail(field, 'not a number', fieldText(buf, s, e, quoted, escapes));
              } else if (kind === COLUMN_KIND.float) {
                targets[field][row * widths[field] + offsetOf[field]] = value;
              } else {
                this.#storeNumber(plan, batch, field, row, value, buf, s, e);
              }
            }
          }
        }
        if (passOf[field] >= 0) batch.passthrough[passOf[field]][row] = fieldText(buf, a, b, quoted, escapes);
      }

      failed = this.#errorColumn >= 0;
      field++;
      if (i >= end) break; // end of file ends the row
      const c = buf[i];
      if (c === delim) {
        i++;
        if (i >= end && !eof) return ROW_INCOMPLETE;
        if (i >= end) {
          // A trailing delimiter at the end of the file: one more, empty, field.
          field++;
          break;
        }
        continue;
      }
      if (c === CR) {
        if (i + 1 >= end && !eof) return ROW_INCOMPLETE;
        i += buf[i + 1] === LF ? 2 : 1;
      } else i++;
      lines++;
      break;
    }

    this.#pos = i;
    this.#lines += lines;
    if (this.#errorColumn >= 0) return ROW_BAD;
    if (field !== nColumns) {
      this.#errorColumn = -2;
      this.#errorReason = `expected ${nColumns} fields as in the header, got ${field}`;
      this.#errorValue = null;
      return ROW_BAD;
    }
    return ROW_OK;
  }

  #fail(field: number, reason: string, value: string | null): void {
    if (this.#errorColumn >= 0) return;
    this.#errorColumn = field;
    this.#errorReason = reason;
    this.#errorValue = value;
  }

  #reject(plan: InputPlan, linesBefore: number): RejectedRow {
    const col = this.#errorColumn;
    const named = col >= 0 && col < plan.header.length;
    return {
      line: linesBefore,
      columnNumber: col >= 0 ? col + 1 : null,
      column: named ? plan.header[col] : null,
      value: this.#errorValue === null ? null : excerpt(this.#errorValue),
      reason: this.#errorReason,
    };
  }

  /** Integer and half-precision inputs: check the value fits, then store it. */
  #storeNumber(
    plan: InputPlan,
    batch: RowBatch,
    field: number,
    row: number,
    value: number,
    buf: Buffer,
    s: number,
    e: number,
  ): void {
    const input = plan.inputOf[field];
    const index = row * plan.inputs[input].width + plan.offsetOf[field];
    const kind = plan.kinds[field];
    if (kind === COLUMN_KIND.fp16) {
      (batch.inputs[input] as Uint16Array)[index] = toFloat16Bits(value);
      return;
    }
    const lo = plan.bounds[2 * field];
    const hi = plan.bounds[2 * field + 1];
    if (!Number.isInteger(value) || value < lo || value > hi) {
      this.#fail(
        field,
        `expected an integer from ${lo} to ${hi} for ${plan.inputs[input].datatype} input "${plan.inputs[input].name}"`,
        buf.toString('latin1', s, e),
      );
      return;
    }
    if (kind === COLUMN_KIND.bigint) (batch.inputs[input] as BigInt64Array)[index] = BigInt(value);
    else (batch.inputs[input] as Int32Array)[index] = value;
  }

  #storeText(batch: RowBatch, input: number, offset: number, row: number, text: string): void {
    const width = this.#plan!.inputs[input].width;
    (batch.inputs[input] as string[])[row * width + offset] = text;
  }

  async #readHeader(): Promise<void> {
    await this.#refill();
    // A UTF-8 byte order mark is not part of the first column's name.
    if (this.#end >= 3 && this.#buf[0] === 0xef && this.#buf[1] === 0xbb && this.#buf[2] === 0xbf)
      this.#pos = 3;
    for (;;) {
      const names = this.#parseHeader();
      if (names !== null) {
        (this.columns as string[]).push(...names);
        break;
      }
      if (this.#eof) break;
      await this.#refill();
    }
    if (this.columns.length === 0 || (this.columns.length === 1 && this.columns[0] === '')) {
      throw new SlipwayError('BATCH_INVALID_INPUT', `${this.#path}: the CSV file has no header row`);
    }
    this.#dataStart = this.#bufOffset + this.#pos;
    this.#dataLine = 1 + this.#lines;
  }

  /** The header's field texts, or null when the buffer ends inside it. */
  #parseHeader(): string[] | null {
    const buf = this.#buf;
    const end = this.#end;
    const names: string[] = [];
    let i = this.#pos;
    let lines = 0;
    for (;;) {
      let text: string;
      if (buf[i] === QUOTE) {
        let j = i + 1;
        let escapes = false;
        for (;;) {
          if (j >= end) return this.#eof ? unclosedHeader(this.#path) : null;
          if (buf[j] === QUOTE) {
            if (buf[j + 1] === QUOTE) {
              escapes = true;
              j += 2;
              continue;
            }
            break;
          }
          if (buf[j] === LF) lines++;
          j++;
        }
        text = fieldText(buf, i + 1, j, true, escapes);
        i = j + 1;
      } else {
        let j = i;
        while (j < end && buf[j] !== this.#delimiter && buf[j] !== LF && buf[j] !== CR) j++;
        if (j >= end && !this.#eof) return null;
        text = buf.toString('utf8', i, j);
        i = j;
      }
      names.push(text.trim());
      if (i >= end) break;
      if (buf[i] === this.#delimiter) {
        i++;
        continue;
      }
      if (buf[i] === CR) {
        if (i + 1 >= end && !this.#eof) return null;
        i += buf[i + 1] === LF ? 2 : 1;
      } else if (buf[i] === LF) i++;
      lines++;
      break;
    }
    this.#pos = i;
    this.#lines = lines;
    return names;
  }

  #seek(offset: number): void {
    this.#bufOffset = offset;
    this.#filePos = offset;
    this.#pos = 0;
    this.#end = 0;
    this.#eof = offset >= this.size;
    this.#done = false;
  }

  /** Keep the unparsed tail, then read more after it (growing the buffer for a very long row). */
  async #refill(): Promise<void> {
    const keep = this.#end - this.#pos;
    if (this.#pos > 0) {
      this.#buf.copy(this.#buf, 0, this.#pos, this.#end);
      this.#bufOffset += this.#pos;
      this.#pos = 0;
      this.#end = keep;
    }
    if (this.#end >= this.#buf.length - 1) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, this.#end);
      this.#buf = bigger;
    }
    const room = this.#buf.length - 1 - this.#end;
    const { bytesRead } = await this.#fh.read(this.#buf, this.#end, room, this.#filePos);
    this.#filePos += bytesRead;
    this.#end += bytesRead;
    this.#buf[this.#end] = 0; // the sentinel the fast path relies on
    if (bytesRead === 0 || this.#filePos >= this.size) this.#eof = true;
  }

  /** Offset just past the first line break at or after `offset` (or the end of the file). */
  async #nextLineStart(offset: number): Promise<number> {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let at = offset;
    while (at < this.size) {
      const { bytesRead } = await this.#fh.read(chunk, 0, chunk.length, at);
      if (bytesRead === 0) break;
      const nl = chunk.subarray(0, bytesRead).indexOf(LF);
      if (nl >= 0) return at + nl + 1;
      at += bytesRead;
    }
    return this.size;
  }

  /** A shard's first line number, counted only when a reject needs it. */
  async #countStartLine(): Promise<void> {
    const breaks = await countLines(this.#fh, this.#dataStart, this.#startOffset);
    this.#lineAtStart = this.#dataLine + breaks;
  }
}

/** A cell's text: UTF-8, quotes doubled inside quoted cells undone. */
function fieldText(buf: Buffer, a: number, b: number, quoted: boolean, escapes: boolean): string {
  const text = buf.toString('utf8', a, b);
  return quoted && escapes ? text.replaceAll('""', '"') : text;
}

function unclosedHeader(path: string): never {
  throw new SlipwayError('BATCH_INVALID_INPUT', `${path}: a quoted name in the CSV header is not closed`);
}
