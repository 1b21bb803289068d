/**
 * Parquet input through hyparquet, one row group at a time: memory holds the used columns of one
 * row group, whatever the file's size. Positions are row indexes; a shard takes the rows
 * `[from, to)` and reads only the row groups that overlap them.
 *
 * Codecs: hyparquet decodes SNAPPY itself; GZIP and BROTLI use node:zlib; ZSTD uses node:zlib where
 * the running Node has it (22.15 and later).
 */
import fs from 'node:fs/promises';
import zlib from 'node:zlib';
import {
  type AsyncBuffer,
  type ColumnData,
  type Compressors,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  type SchemaElement,
} from 'hyparquet';
import { SlipwayError } from '../core/errors.js';
import { toFloat16Bits } from '../runtime/float16.js';
import { type BatchReader, excerpt, type ReadRange } from './batch-reader.js';
import { COLUMN_KIND, type InputPlan } from './input-plan.js';
import { type ParseResult, parseDecimalText } from './parse-decimal.js';
import type { RowBatch } from './row-batch.js';

type ColumnValues = ArrayLike<unknown>;

interface Group {
  /** Rows `[start, end)` of the file that the loaded columns hold. */
  start: number;
  end: number;
  /** Per file column (plan.header order): its values, or null when unused. */
  columns: (ColumnValues | null)[];
}

export class ParquetBatchReader implements BatchReader {
  readonly columns: readonly string[];
  readonly size: number;
  readonly #path: string;
  readonly #fh: fs.FileHandle;
  readonly #file: AsyncBuffer;
  readonly #metadata: FileMetaData;
  readonly #elements: Map<string, SchemaElement>;
  #plan: InputPlan | null = null;
  #next = 0;
  #stop = 0;
  #row = 0;
  #group: Group | null = null;
  readonly #parsed: ParseResult = { ok: false };

  private constructor(path: string, fh: fs.FileHandle, file: AsyncBuffer, metadata: FileMetaData) {
    this.#path = path;
    this.#fh = fh;
    this.#file = file;
    this.#metadata = metadata;
    this.size = Number(metadata.num_rows);
    // Top-level fields only: nested ones (lists, structs) are not tabular features.
    this.#elements = new Map();
    const schema = metadata.schema;
    let i = 1;
    while (i < schema.length) {
      const element = schema[i];
      this.#elements.set(element.name, element);
      i += 1 + descendants(schema, i);
    }
    this.columns = [...this.#elements.keys()];
  }

  static async open(path: string): Promise<ParquetBatchReader> {
    const fh = await fs.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const file = fileBuffer(fh, size);
      let metadata: FileMetaData;
      try {
        metadata = await parquetMetadataAsync(file);
      } catch (error) {
        throw new SlipwayError(
          'BATCH_INVALID_INPUT',
          `${path} is not a Parquet file (${(error as Error).message})`,
          undefined,
          { cause: error },
        );
      }
      return new ParquetBatchReader(path, fh, file, metadata);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  get position(): number {
    return this.#next;
  }

  /** The Parquet schema of the top-level column `name` (copied-through columns keep their type). */
  schemaOf(name: string): SchemaElement | null {
    const element = this.#elements.get(name);
    return element && element.num_children === undefined ? element : null;
  }

  async start(plan: InputPlan, range: ReadRange): Promise<void> {
    for (const name of plan.usedColumns) {
      if (this.schemaOf(name) === null) {
        throw new SlipwayError(
          'BATCH_INVALID_INPUT',
          `${this.#path}: column "${name}" is nested (a list or a struct); batch prediction reads flat columns`,
          { column: name },
        );
      }
    }
    this.#plan = plan;
    this.#next = range.start?.offset ?? range.from ?? 0;
    this.#stop = Math.min(this.size, range.to ?? this.size);
    this.#row = range.start?.row ?? 0;
    this.#group = null;
  }

  async read(batch: RowBatch): Promise<boolean> {
    batch.reset();
    const plan = this.#plan;
    if (plan === null) throw new Error('ParquetBatchReader.start() was not called');
    while (batch.rows < batch.capacity && this.#next < this.#stop) {
      if (this.#group === null || this.#next >= this.#group.end)
        this.#group = await this.#load(plan, this.#next);
      const group = this.#group;
      const upto = Math.min(group.end, this.#stop, this.#next + (batch.capacity - batch.rows));
      for (let r = this.#next; r < upto; r++) {
        batch.rowsRead++;
        const refusal = this.#fill(plan, batch, group, r - group.start);
        if (refusal === null) batch.rows++;
        else batch.rejects.push({ line: r + 1, ...refusal });
      }
      this.#next = upto;
    }
    this.#row += batch.rowsRead;
    batch.end.offset = this.#next;
    batch.end.line = this.#next + 1;
    batch.end.row = this.#row;
    return batch.rowsRead > 0;
  }

  async close(): Promise<void> {
    this.#group = null;
    await this.#fh.close();
  }

  /** Decode the used columns of the row group holding row `at`, from `at` to the group's end. */
  async #load(plan: InputPlan, at: number): Promise<Group> {
    let groupStart = 0;
    for (const rowGroup of this.#metadata.row_groups) {
      const groupEnd = groupStart + Number(rowGroup.num_rows);
      if (at < groupEnd) {
        const end = Math.min(groupEnd, this.#stop);
        const chunks = new Map<string, ColumnData[]>();
        try {
          await parquetRead({
            file: this.#file,
            metadata: this.#metadata,
            columns: plan.usedColumns,
            rowStart: at,
            rowEnd: end,
            compressors: COMPRESSORS,
            onChunk: (chunk) => {
              const list = chunks.get(chunk.columnName) ?? [];
              list.push(chunk);
              chunks.set(chunk.columnName, list);
            },
          });
        } catch (error) {
          throw new SlipwayError(
            'BATCH_INVALID_INPUT',
            `${this.#path}: cannot decode rows ${at + 1} to ${end} (${(error as Error).message})`,
            undefined,
            { cause: error },
          );
        }
        const columns = plan.header.map((name) =>
          chunks.has(name) || plan.usedColumns.includes(name)
            ? assemble(chunks.get(name) ?? [], at, end)
            : null,
        );
        return { start: at, end, columns };
      }
      groupStart = groupEnd;
    }
    throw new Error(`row ${at} is past the last row group`);
  }

  #fill(plan: InputPlan, batch: RowBatch, group: Group, i: number): Refusal | null {
    const row = batch.rows;
    for (let c = 0; c < plan.header.length; c++) {
      const input = plan.inputOf[c];
      const pass = plan.passOf[c];
      if (input < 0 && pass < 0) continue;
      const value = group.columns[c]![i];
      if (pass >= 0) batch.passthrough[pass][row] = value ?? null;
      if (input < 0) continue;
      const kind = plan.kinds[c];
      const index = row * plan.inputs[input].width + plan.offsetOf[c];
      const target = batch.inputs[input];
      if (value === null || value === undefined)
        return refusal(plan, c, value, 'null value; a value is required');
      if (kind === COLUMN_KIND.text) {
        (target as string[])[index] = typeof value === 'string' ? value : String(value);
        continue;
      }
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'bigint') n = Number(value);
      else if (typeof value === 'boolean') n = value ? 1 : 0;
      else if (typeof value === 'string') {
        n = parseDecimalText(value.trim(), this.#parsed);
        if (!this.#parsed.ok) return refusal(plan, c, value, 'not a number');
      } else return refusal(plan, c, value, 'not a number');
      if (kind === COLUMN_KIND.float) (target as Float32Array)[index] = n;
      else if (kind === COLUMN_KIND.fp16) (target as Uint16Array)[index] = toFloat16Bits(n);
      else {
        const lo = plan.bounds[2 * c];
        const hi = plan.bounds[2 * c + 1];
        if (!Number.isInteger(n) || n < lo || n > hi)
          return refusal(plan, c, value, `expected an integer from ${lo} to ${hi}`);
        if (kind === COLUMN_KIND.bigint) {
          (target as BigInt64Array)[index] = typeof value === 'bigint' ? value : BigInt(n);
        } else (target as Int32Array)[index] = n;
      }
    }
    return null;
  }
}

type Refusal = { columnNumber: number; column: string; value: string | null; reason: string };

function refusal(plan: InputPlan, c: number, value: unknown, reason: string): Refusal {
  return {
    columnNumber: c + 1,
    column: plan.header[c],
    value: value === null || value === undefined ? null : excerpt(String(value)),
    reason,
  };
}

/** Elements under schema[i] (its children and theirs). */
function descendants(schema: SchemaElement[], i: number): number {
  const children = schema[i].num_children ?? 0;
  let count = 0;
  let at = i + 1;
  for (let c = 0; c < children; c++) {
    const below = 1 + descendants(schema, at);
    count += below;
    at += below;
  }
  return count;
}

/** One column's values for rows `[start, end)` from the chunks hyparquet gave (which may overhang). */
function assemble(chunks: ColumnData[], start: number, end: number): ColumnValues {
  if (chunks.length === 1 && chunks[0].rowStart === start && chunks[0].rowEnd === end)
    return chunks[0].columnData;
  const out = new Array<unknown>(end - start).fill(null);
  for (const chunk of chunks) {
    const from = Math.max(chunk.rowStart, start);
    const to = Math.min(chunk.rowEnd, end);
    for (let r = from; r < to; r++) out[r - start] = chunk.columnData[r - chunk.rowStart];
  }
  return out;
}

/** Reads of an open file, as hyparquet's AsyncBuffer. */
function fileBuffer(fh: fs.FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const bytes = new Uint8Array(Math.max(0, stop - start));
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await fh.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

const zstd = (zlib as unknown as { zstdDecompressSync?: (input: Uint8Array) => Buffer }).zstdDecompressSync;

const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  ZSTD: (input) => {
    if (!zstd) {
      throw new Error(
        'ZSTD-compressed Parquet needs Node 22.15 or later; rewrite the file with SNAPPY or GZIP',
      );
    }
    return new Uint8Array(zstd(input));
  },
};
