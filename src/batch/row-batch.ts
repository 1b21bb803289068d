/**
 * One batch of rows on its way from a reader to the model and on to a writer: the model inputs as
 * preallocated typed arrays the reader fills in place (STYLE.md 24: no per-row objects), the
 * copied-through column values, the rows the reader refused, and where in the source the batch
 * ends (a checkpoint after this batch resumes there). Batches are reused once written.
 */
import { allocateTensorData, type TensorData, type TensorMap } from '../runtime/tensor.js';
import type { InputPlan } from './input-plan.js';

/** A place in the input: what a checkpoint records and a resumed reader starts from. */
export interface SourcePosition {
  /** Byte offset of the next row (CSV, JSON Lines) or its row index (Parquet). */
  offset: number;
  /** File line of the next row (1-based); for Parquet, the row index plus one. */
  line: number;
  /** Data rows before it (0-based index of the next row). */
  row: number;
}

/** A row the reader refused: where it is and why (`<output>.rejects.jsonl` holds one per line). */
export interface RejectedRow {
  /** File line (1-based; the header is line 1 of a CSV file); for Parquet, the row number (1-based). */
  line: number;
  /** 1-based column number, or null when the row as a whole is wrong (field count, bad JSON). */
  columnNumber: number | null;
  column: string | null;
  /** The offending text, cut to 200 characters, or null. */
  value: string | null;
  reason: string;
}

export class RowBatch {
  readonly capacity: number;
  readonly plan: InputPlan;
  /** One buffer per planned input, `capacity × width` elements. */
  readonly inputs: TensorData[]; // replaced by `adopt` when a buffer comes back from a thread
  /** One array per copied-through column, `capacity` values. */
  readonly passthrough: unknown[][];
  /** Rows filled in. */
  rows = 0;
  /** Rows consumed from the source for this batch, refused ones included. */
  rowsRead = 0;
  readonly rejects: RejectedRow[] = [];
  /**
   * Where an inference thread copies this batch's outputs (moved there and back with the inputs);
   * sized from the signature's static output widths, null when one is dynamic or text.
   */
  outputBuffer: ArrayBuffer | null;
  readonly end: SourcePosition = { offset: 0, line: 1, row: 0 };

  constructor(plan: InputPlan, capacity: number, outputBytes: number | null = null) {
    this.plan = plan;
    this.capacity = capacity;
    this.inputs = plan.inputs.map((i) => allocateTensorData(i.datatype, capacity * i.width));
    this.passthrough = plan.passthrough.map(() => new Array<unknown>(capacity).fill(null));
    this.outputBuffer = outputBytes === null ? null : new ArrayBuffer(outputBytes);
  }

  reset(): void {
    this.rows = 0;
    this.rowsRead = 0;
    this.rejects.length = 0;
  }

  /**
   * Take back the input buffers that `tensors()` lent out and that came back from an inference
   * thread (moving a buffer to a thread detaches it here).
   */
  adopt(returned: TensorMap): void {
    for (const [i, input] of this.plan.inputs.entries()) {
      const back = returned[input.name]?.data;
      const mine = this.inputs[i];
      if (back === undefined || Array.isArray(back) || Array.isArray(mine) || back.buffer === mine.buffer)
        continue;
      const Type = mine.constructor as new (buffer: ArrayBufferLike) => TensorData;
      this.inputs[i] = new Type(back.buffer);
    }
  }

  /** The filled rows as model inputs: views over the batch's buffers, no copy. */
  tensors(): TensorMap {
    const out: TensorMap = {};
    const rows = this.rows;
    for (const [i, input] of this.plan.inputs.entries()) {
      const data = this.inputs[i];
      const length = rows * input.width;
      const view = Array.isArray(data) ? data.slice(0, length) : data.subarray(0, length);
      out[input.name] = {
        datatype: input.datatype,
        shape: input.matrix ? [rows, input.width] : [rows],
        data: view,
      } as TensorMap[string];
    }
    return out;
  }
}
