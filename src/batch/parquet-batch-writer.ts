/**
 * Predictions as Parquet (hyparquet-writer, chosen by measurement: bench/batch/README.md): rows are
 * gathered column by column and written one row group at a time, so memory holds one row group, not
 * the file. Row groups end on batch boundaries, and `sync` closes the one under way, so a checkpoint
 * always falls between row groups: `--resume` cuts the file back there and rebuilds the writer's
 * list of row groups (the footer's contents) from the checkpoint.
 *
 * Prediction columns are REQUIRED and typed after the model output (FP32 → FLOAT, INT64 → INT64...);
 * copied-through columns keep their Parquet type when the input was Parquet, and are UTF-8 text
 * otherwise (CSV and JSON Lines carry no column types).
 */
import { ByteWriter, type ColumnSource, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { Datatype } from '../core/tensor-types.js';
import { fromFloat16Bits } from '../runtime/float16.js';
import type { TensorMap } from '../runtime/tensor.js';
import { type BatchWriter, textOf, type WriterState } from './batch-writer.js';
import { FileSink } from './file-sink.js';
import type { OutputPlan } from './output-plan.js';
import type { RowBatch } from './row-batch.js';
import { fromTaggedJson, toTaggedJson } from './tagged-json.js';

/** Rows per row group: DuckDB writes 122,880; this keeps a group of a few columns to a few MB. */
export const DEFAULT_ROW_GROUP_ROWS = 131_072;

export interface ParquetWriterOptions {
  /** Parquet schema elements of copied-through columns, when the input was Parquet. */
  passthroughSchema?: ReadonlyMap<string, SchemaElement> | null;
  rowGroupRows?: number;
  createdBy?: string;
}

type Column = { values: Float32Array | Float64Array | Int32Array | BigInt64Array | unknown[] };

/** Writes each row group's bytes to the sink when hyparquet flushes it. */
class SinkWriter extends ByteWriter {
  readonly #sink: FileSink;

  constructor(sink: FileSink) {
    super(1 << 20);
    this.#sink = sink;
  }

  async flush(): Promise<void> {
    if (this.index === 0) return;
    await this.#sink.write(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

export class ParquetBatchWriter implements BatchWriter {
  readonly #sink: FileSink;
  readonly #plan: OutputPlan;
  readonly #writer: SinkWriter;
  readonly #parquet: ParquetWriter;
  readonly #schema: SchemaElement[];
  readonly #rowGroupRows: number;
  readonly #columns: Column[];
  #rows = 0;

  private constructor(sink: FileSink, plan: OutputPlan, options: ParquetWriterOptions, capacity: number) {
    this.#sink = sink;
    this.#plan = plan;
    this.#rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    const given = options.passthroughSchema ?? null;
    const passSchema = plan.passthrough.map((name) => given?.get(name) ?? textElement(name));
    const predSchema = plan.predictions.map((p) => predictionElement(p.name, p.datatype));
    this.#schema = [
      { name: 'root', num_children: passSchema.length + predSchema.length },
      ...passSchema,
      ...predSchema,
    ];
    const rows = this.#rowGroupRows + capacity;
    this.#columns = [
      ...plan.passthrough.map(() => ({ values: new Array<unknown>(rows) })),
      ...plan.predictions.map((p) => ({ values: allocate(p.datatype, rows) })),
    ];
    this.#writer = new SinkWriter(sink);
    this.#parquet = new ParquetWriter({
      writer: this.#writer,
      schema: this.#schema,
      createdBy: options.createdBy ?? 'slipway',
    });
  }

  /**
   * `capacity` is the largest batch: a row group closes after the batch that fills it, so it may
   * hold up to `rowGroupRows + capacity - 1` rows.
   */
  static async open(
    path: string,
    plan: OutputPlan,
    resume: WriterState | null,
    capacity: number,
    options: ParquetWriterOptions = {},
  ): Promise<ParquetBatchWriter> {
    const sink = await FileSink.open(path, resume?.bytes ?? null);
    const writer = new ParquetBatchWriter(sink, plan, options, capacity);
    if (resume === null) {
      await writer.#writer.flush(); // the leading magic bytes
    } else {
      // The file already starts with the magic and the row groups of the checkpoint.
      const state = fromTaggedJson(resume.extra) as {
        rowGroups: ParquetWriter['row_groups'];
        numRows: bigint;
      };
      writer.#writer.index = 0;
      writer.#writer.offset = resume.bytes;
      writer.#parquet.row_groups = state.rowGroups;
      writer.#parquet.num_rows = state.numRows;
    }
    return writer;
  }

  async write(batch: RowBatch, outputs: TensorMap): Promise<void> {
    const base = this.#rows;
    const n = batch.rows;
    const nPass = this.#plan.passthrough.length;
    for (let p = 0; p < nPass; p++) {
      const column = this.#columns[p].values as unknown[];
      const values = batch.passthrough[p];
      const typed =
        this.#schema[1 + p].converted_type !== 'UTF8' || this.#schema[1 + p].type !== 'BYTE_ARRAY';
      for (let r = 0; r < n; r++) column[base + r] = typed ? (values[r] ?? null) : textOf(values[r]);
    }
    for (const [c, p] of this.#plan.predictions.entries()) {
      const tensor = outputs[p.output];
      if (tensor === undefined) throw new Error(`the model returned no output "${p.output}"`);
      copyColumn(this.#columns[nPass + c].values, base, tensor.datatype, tensor.data, n, p.width, p.element);
    }
    this.#rows += n;
    if (this.#rows >= this.#rowGroupRows) await this.#flushGroup();
  }

  async sync(): Promise<WriterState> {
    await this.#flushGroup();
    await this.#sink.sync();
    return {
      bytes: this.#sink.position,
      extra: toTaggedJson({ rowGroups: this.#parquet.row_groups, numRows: this.#parquet.num_rows }),
    };
  }

  async finish(): Promise<{ bytes: number }> {
    await this.#flushGroup();
    await this.#parquet.finish();
    await this.#sink.sync();
    await this.#sink.close();
    return { bytes: this.#sink.position };
  }

  async close(): Promise<void> {
    await this.#sink.close();
  }

  async #flushGroup(): Promise<void> {
    const rows = this.#rows;
    if (rows === 0) return;
    const columnData: ColumnSource[] = this.#schema.slice(1).map((element, i) => {
      const values = this.#columns[i].values;
      return {
        name: element.name,
        data: (Array.isArray(values)
          ? values.slice(0, rows)
          : values.subarray(0, rows)) as ColumnSource['data'],
        // Page indexes would be lost on resume (they are written after the last row group).
        offsetIndex: false,
        columnIndex: false,
      };
    });
    await this.#parquet.write({ columnData, rowGroupSize: rows });
    this.#rows = 0;
  }
}

function textElement(name: string): SchemaElement {
  return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
}

function predictionElement(name: string, datatype: Datatype): SchemaElement {
  const required = 'REQUIRED' as const;
  switch (datatype) {
    case 'FP32':
    case 'FP16':
      return { name, type: 'FLOAT', repetition_type: required };
    case 'FP64':
      return { name, type: 'DOUBLE', repetition_type: required };
    case 'INT64':
    case 'UINT32':
      return { name, type: 'INT64', repetition_type: required };
    case 'UINT64':
      return { name, type: 'INT64', converted_type: 'UINT_64', repetition_type: required };
    case 'BOOL':
      return { name, type: 'BOOLEAN', repetition_type: required };
    case 'BYTES':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: required };
    default:
      return { name, type: 'INT32', repetition_type: required };
  }
}

function allocate(datatype: Datatype, rows: number): Column['values'] {
  switch (datatype) {
    case 'FP32':
    case 'FP16':
      return new Float32Array(rows);
    case 'FP64':
      return new Float64Array(rows);
    case 'INT64':
    case 'UINT32':
      return new BigInt64Array(rows);
    case 'UINT64':
    case 'BOOL':
    case 'BYTES':
      return new Array<unknown>(rows);
    default:
      return new Int32Array(rows);
  }
}

function copyColumn(
  target: Column['values'],
  base: number,
  datatype: Datatype,
  data: TensorMap[string]['data'],
  n: number,
  width: number,
  element: number,
): void {
  if (datatype === 'FP16') {
    const bits = data as Uint16Array;
    const t = target as Float32Array;
    for (let r = 0; r < n; r++) t[base + r] = fromFloat16Bits(bits[r * width + element]);
  } else if (datatype === 'UINT32') {
    const src = data as Uint32Array;
    const t = target as BigInt64Array;
    for (let r = 0; r < n; r++) t[base + r] = BigInt(src[r * width + element]);
  } else if (datatype === 'BOOL') {
    const src = data as Uint8Array;
    const t = target as unknown[];
    for (let r = 0; r < n; r++) t[base + r] = src[r * width + element] !== 0;
  } else {
    const src = data as ArrayLike<unknown>;
    const t = target as unknown[];
    for (let r = 0; r < n; r++) t[base + r] = src[r * width + element];
  }
}
