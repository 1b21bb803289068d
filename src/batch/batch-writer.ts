/**
 * What every output format gives the job: append a batch of predictions, make what was written
 * durable (for a checkpoint), finish the file.
 */
import type { TensorMap } from '../runtime/tensor.js';
import type { RowBatch } from './row-batch.js';

/** What a checkpoint records about an output so that `--resume` can continue it. */
export interface WriterState {
  /** Bytes of the file that are complete; anything after them is cut on resume. */
  bytes: number;
  /** Format-specific state (Parquet: the row groups written so far, for the footer). */
  extra: unknown;
}

export interface BatchWriter {
  /** Append the batch's filled rows: their copied-through values, then their predictions. */
  write(batch: RowBatch, outputs: TensorMap): Promise<void>;
  /** Make everything written so far durable, and say how to continue after it. */
  sync(): Promise<WriterState>;
  /** Complete the file (Parquet writes its footer), make it durable and close it. */
  finish(): Promise<{ bytes: number }>;
  /** Close without completing; the partial file stays for `--resume`. */
  close(): Promise<void>;
}

/** A copied-through value as text (CSV cells, Parquet string columns). */
export function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, jsonSafe);
}

/** JSON.stringify replacer for values Parquet readers produce (BigInt, Date, bytes). */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : String(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
