/**
 * JSON Lines input: one JSON object per line, its keys the columns (the first object's keys name
 * them; later objects may hold more or fewer). Feature values must be numbers (or numeric strings,
 * read by the CSV rules); a missing or null feature, or a line that is not a JSON object, refuses the
 * row. Blank lines are skipped. Shards split the file by byte offset at line starts, like CSV.
 */
import fs from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';
import type { Datatype } from '../core/tensor-types.js';
import { toFloat16Bits } from '../runtime/float16.js';
import { type BatchReader, excerpt, type ReadRange } from './batch-reader.js';
import { countLines } from './count-lines.js';
import { COLUMN_KIND, type InputPlan } from './input-plan.js';
import { type ParseResult, parseDecimalText } from './parse-decimal.js';
import type { RowBatch } from './row-batch.js';

const LF = 10;
const READ_SIZE = 1 << 20;

/** One column that feeds an input, resolved once per job. */
interface FeatureSlot {
  key: string;
  columnNumber: number;
  input: number;
  offset: number;
  width: number;
  kind: number;
  datatype: Datatype;
  lo: number;
  hi: number;
}

export class JsonlBatchReader implements BatchReader {
  readonly columns: readonly string[];
  readonly size: number;
  readonly #path: string;
  readonly #fh: fs.FileHandle;
  #buf = Buffer.allocUnsafe(READ_SIZE);
  #pos = 0;
  #end = 0;
  #bufOffset = 0;
  #filePos = 0;
  #eof = false;
  #done = false;
  #stopAt: number | null = null;
  #lineAtStart: number | null = 1;
  #startOffset = 0;
  #lines = 0;
  #row = 0;
  #slots: FeatureSlot[] = [];
  #passKeys: string[] = [];
  readonly #parsed: ParseResult = { ok: false };

  private constructor(path: string, fh: fs.FileHandle, size: number, columns: string[]) {
    this.#path = path;
    this.#fh = fh;
    this.size = size;
    this.columns = columns;
  }

  static async open(path: string): Promise<JsonlBatchReader> {
    const fh = await fs.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const columns = await firstObjectKeys(fh, path, size);
      return new JsonlBatchReader(path, fh, size, columns);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  get position(): number {
    return this.#bufOffset + this.#pos;
  }

  async start(plan: InputPlan, range: ReadRange): Promise<void> {
    this.#slots = [];
    for (const [c, name] of plan.header.entries()) {
      const input = plan.inputOf[c];
      if (input < 0) continue;
      const spec = plan.inputs[input];
      this.#slots.push({
        key: name,
        columnNumber: c + 1,
        input,
        offset: plan.offsetOf[c],
        width: spec.width,
        kind: plan.kinds[c],
        datatype: spec.datatype,
        lo: plan.bounds[2 * c],
        hi: plan.bounds[2 * c + 1],
      });
    }
    this.#passKeys = [...plan.passthrough];
    this.#stopAt = range.to;
    this.#row = range.start?.row ?? 0;
    let offset = 0;
    this.#lineAtStart = 1;
    if (range.start !== null) {
      offset = range.start.offset;
      this.#lineAtStart = Number.isNaN(range.start.line) ? null : range.start.line;
    } else if (range.from !== null && range.from > 0) {
      offset = await nextLineStart(this.#fh, range.from - 1, this.size);
      this.#lineAtStart = null;
    }
    this.#startOffset = offset;
    this.#bufOffset = offset;
    this.#filePos = offset;
    this.#pos = 0;
    this.#end = 0;
    this.#eof = offset >= this.size;
    this.#done = false;
    this.#lines = 0;
  }

  async read(batch: RowBatch): Promise<boolean> {
    batch.reset();
    while (!this.#done && batch.rows < batch.capacity) {
      if (this.#stopAt !== null && this.#bufOffset + this.#pos >= this.#stopAt) {
        this.#done = true;
        break;
      }
      let nl = this.#buf.indexOf(LF, this.#pos);
      if (nl < 0 || nl >= this.#end) {
        if (!this.#eof) {
          await this.#refill();
          continue;
        }
        if (this.#pos >= this.#end) {
          this.#done = true;
          break;
        }
        nl = this.#end; // a last line without a line break
      }
      const start = this.#pos;
      let stop = nl;
      if (stop > start && this.#buf[stop - 1] === 13) stop--;
      this.#pos = nl + 1;
      const line = this.#lines;
      this.#lines++;
      if (isBlank(this.#buf, start, stop)) continue;
      batch.rowsRead++;
      const reason = this.#fill(batch, this.#buf.toString('utf8', start, stop));
      if (reason === null) batch.rows++;
      else batch.rejects.push({ line, ...reason });
    }
    if (this.#pos > this.#end) this.#pos = this.#end;
    if (batch.rejects.length > 0 && this.#lineAtStart === null) {
      this.#lineAtStart = 1 + (await countLines(this.#fh, 0, this.#startOffset));
    }
    const base = this.#lineAtStart;
    if (base !== null) for (const r of batch.rejects) r.line += base;
    this.#row += batch.rowsRead;
    batch.end.offset = this.#bufOffset + this.#pos;
    batch.end.line = base === null ? Number.NaN : base + this.#lines;
    batch.end.row = this.#row;
    return batch.rowsRead > 0 || !this.#done;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }

  /** Fill row `batch.rows` from one line; the reason it cannot, or null. */
  #fill(batch: RowBatch, text: string): Refusal | null {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (error) {
      return {
        columnNumber: null,
        column: null,
        value: excerpt(text),
        reason: `not JSON: ${(error as Error).message}`,
      };
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      return { columnNumber: null, column: null, value: excerpt(text), reason: 'not a JSON object' };
    }
    const row = batch.rows;
    const record = obj as Record<string, unknown>;
    for (const slot of this.#slots) {
      const value = record[slot.key];
      const index = row * slot.width + slot.offset;
      const target = batch.inputs[slot.input];
      if (value === undefined || value === null)
        return refusal(slot, value, value === null ? 'null value; a value is required' : 'missing key');
      if (slot.kind === COLUMN_KIND.text) {
        (target as string[])[index] = typeof value === 'string' ? value : JSON.stringify(value);
        continue;
      }
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'boolean' && slot.datatype === 'BOOL') n = value ? 1 : 0;
      else if (typeof value === 'string') {
        n = parseDecimalText(value.trim(), this.#parsed);
        if (!this.#parsed.ok) return refusal(slot, value, 'not a number');
      } else return refusal(slot, value, 'not a number');
      if (slot.kind === COLUMN_KIND.float) (target as Float32Array)[index] = n;
      else if (slot.kind === COLUMN_KIND.fp16) (target as Uint16Array)[index] = toFloat16Bits(n);
      else if (!Number.isInteger(n) || n < slot.lo || n > slot.hi) {
        return refusal(
          slot,
          value,
          `expected an integer from ${slot.lo} to ${slot.hi} for ${slot.datatype} input`,
        );
      } else if (slot.kind === COLUMN_KIND.bigint) (target as BigInt64Array)[index] = BigInt(n);
      else (target as Int32Array)[index] = n;
    }
    for (const [p, key] of this.#passKeys.entries()) batch.passthrough[p][row] = record[key] ?? null;
    return null;
  }

  async #refill(): Promise<void> {
    const keep = this.#end - this.#pos;
    if (this.#pos > 0) {
      this.#buf.copy(this.#buf, 0, this.#pos, this.#end);
      this.#bufOffset += this.#pos;
      this.#pos = 0;
      this.#end = keep;
    }
    if (this.#end >= this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, this.#end);
      this.#buf = bigger;
    }
    const { bytesRead } = await this.#fh.read(
      this.#buf,
      this.#end,
      this.#buf.length - this.#end,
      this.#filePos,
    );
    this.#filePos += bytesRead;
    this.#end += bytesRead;
    if (bytesRead === 0 || this.#filePos >= this.size) this.#eof = true;
  }

  toString(): string {
    return this.#path;
  }
}

type Refusal = { columnNumber: number | null; column: string | null; value: string | null; reason: string };

function refusal(slot: FeatureSlot, value: unknown, reason: string): Refusal {
  return {
    columnNumber: slot.columnNumber,
    column: slot.key,
    value: value === undefined ? null : excerpt(JSON.stringify(value)),
    reason,
  };
}

function isBlank(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** The keys of the first non-blank line, which must be a JSON object. */
async function firstObjectKeys(fh: fs.FileHandle, path: string, size: number): Promise<string[]> {
  let text = '';
  let at = 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let lineNo = 1;
  for (;;) {
    const nl = text.indexOf('\n');
    if (nl >= 0 || at >= size) {
      const line = nl >= 0 ? text.slice(0, nl) : text;
      if (line.trim() === '' && nl >= 0) {
        text = text.slice(nl + 1);
        lineNo++;
        continue;
      }
      if (line.trim() === '') {
        throw new SlipwayError('BATCH_INVALID_INPUT', `${path}: the JSON Lines file holds no object`);
      }
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (error) {
        throw new SlipwayError(
          'BATCH_INVALID_INPUT',
          `${path}: line ${lineNo} is not JSON (${(error as Error).message}); JSON Lines holds one object per line`,
        );
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
        throw new SlipwayError(
          'BATCH_INVALID_INPUT',
          `${path}: line ${lineNo} is not a JSON object; JSON Lines input holds one object per line`,
        );
      }
      return Object.keys(obj);
    }
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, at);
    if (bytesRead === 0) at = size;
    at += bytesRead;
    text += chunk.toString('utf8', 0, bytesRead);
  }
}

async function nextLineStart(fh: fs.FileHandle, offset: number, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let at = offset;
  while (at < size) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, at);
    if (bytesRead === 0) break;
    const nl = chunk.subarray(0, bytesRead).indexOf(LF);
    if (nl >= 0) return at + nl + 1;
    at += bytesRead;
  }
  return size;
}
