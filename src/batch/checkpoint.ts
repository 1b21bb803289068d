/**
 * Checkpoints: what `--resume` needs to continue a killed job so that its final output equals an
 * uninterrupted run's, row for row.
 *
 * A checkpoint is written only after everything before its input position is durable: the output
 * and the rejects are flushed and fsynced first, then the checkpoint replaces the previous one
 * atomically. Resuming cuts both files back to the lengths it records and reads the input again
 * from its position, so rows after it are written exactly once whatever moment the kill came at.
 */
import fs from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-file.js';
import type { BatchFormat } from './batch-format.js';
import type { WriterState } from './batch-writer.js';
import type { SourcePosition } from './row-batch.js';
import type { ShardSpec } from './shard-spec.js';

/** What must match for a checkpoint to be resumed: the same model, input, formats, columns and shard. */
export interface JobIdentity {
  model: { name: string; version: number; sha256: string };
  input: { path: string; bytes: number; modifiedMs: number; format: BatchFormat };
  outputFormat: BatchFormat;
  idColumn: string | null;
  keepColumns: string[];
  onError: 'fail' | 'skip';
  shard: ShardSpec | null;
}

export interface Checkpoint {
  version: 1;
  jobId: string;
  identity: JobIdentity;
  /** Where the next row starts. */
  position: SourcePosition;
  rows: { read: number; written: number; rejected: number };
  output: WriterState;
  outputColumns: string[];
  rejectsBytes: number;
  startedAt: number;
  savedAt: number;
  /** Times this job was resumed before this checkpoint. */
  resumes: number;
}

export async function readCheckpoint(file: string): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as Checkpoint;
  if (parsed.version !== 1) {
    throw new SlipwayError(
      'BATCH_CHECKPOINT_MISMATCH',
      `${file} is a checkpoint of format ${parsed.version}, not 1`,
    );
  }
  // JSON has no NaN: a line not yet counted was stored as null.
  if (parsed.position.line === null) parsed.position.line = Number.NaN;
  return parsed;
}

export function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(checkpoint, null, 1)}\n`);
}

/** The first difference between a checkpoint's job and this one, said for people; null when none. */
export function identityDifference(saved: JobIdentity, now: JobIdentity): string | null {
  const pairs: [string, unknown, unknown][] = [
    [
      'model',
      `${saved.model.name}:${saved.model.version} (${saved.model.sha256})`,
      `${now.model.name}:${now.model.version} (${now.model.sha256})`,
    ],
    ['input', saved.input.path, now.input.path],
    ['input size', saved.input.bytes, now.input.bytes],
    ['input modification time', saved.input.modifiedMs, now.input.modifiedMs],
    ['input format', saved.input.format, now.input.format],
    ['output format', saved.outputFormat, now.outputFormat],
    ['--id-column', saved.idColumn, now.idColumn],
    ['--keep-columns', saved.keepColumns.join(','), now.keepColumns.join(',')],
    ['--on-error', saved.onError, now.onError],
    [
      'shard',
      saved.shard ? `${saved.shard.index}/${saved.shard.count}` : 'none',
      now.shard ? `${now.shard.index}/${now.shard.count}` : 'none',
    ],
  ];
  for (const [what, a, b] of pairs) if (a !== b) return `${what} was ${String(a)}, now ${String(b)}`;
  return null;
}
