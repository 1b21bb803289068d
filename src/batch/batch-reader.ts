/**
 * What every input format gives the job: the file's column names, then batches of rows in file
 * order, each ending at a position a checkpoint can resume from.
 */
import type { InputPlan } from './input-plan.js';
import type { RowBatch, SourcePosition } from './row-batch.js';

/** Where a reader starts and stops: a whole file, a shard's share of it, or the rest after a checkpoint. */
export interface ReadRange {
  /** Byte offset (CSV, JSON Lines) or row index (Parquet) to start at; null for the first row. */
  start: SourcePosition | null;
  /**
   * For a shard that starts mid-file: the byte offset (or row index) its share begins at. The reader
   * starts at the first row that begins at or after it.
   */
  from: number | null;
  /** Rows that begin at or after this offset (or row index) belong to the next shard; null: to the end. */
  to: number | null;
}

export interface BatchReader {
  /** The file's column names (from the CSV header, the first JSON object, or the Parquet schema). */
  readonly columns: readonly string[];
  /** Size of the input in the units of `SourcePosition.offset` (bytes, or rows for Parquet). */
  readonly size: number;
  /** Start reading `range`, mapping columns through `plan`. Called once, after `columns` is known. */
  start(plan: InputPlan, range: ReadRange): Promise<void>;
  /**
   * Fill `batch` (reset first) with up to its capacity of rows; refused rows go to `batch.rejects`
   * with their file lines. Returns false once the range is exhausted and nothing was read.
   */
  read(batch: RowBatch): Promise<boolean>;
  /** Position reached, in the units of `size`, for progress. */
  readonly position: number;
  close(): Promise<void>;
}

/** Cut long offending values in reject reasons. */
export function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
