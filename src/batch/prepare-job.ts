/**
 * Everything a prediction job checks before it reads a row: the model resolves and is servable, the
 * formats are known, the input opens and has every column the model needs, a checkpoint to resume
 * belongs to this very job. A mistake here stops the job before any work, with a message that
 * names it (issue 4: "a missing one stops the job before any work").
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { type BatchFormat, formatOf } from './batch-format.js';
import type { BatchReader, ReadRange } from './batch-reader.js';
import { type Checkpoint, identityDifference, type JobIdentity, readCheckpoint } from './checkpoint.js';
import { InputPlan } from './input-plan.js';
import { type JobFiles, jobFiles } from './job-files.js';
import { openBatchReader } from './open-batch-io.js';
import { type ShardSpec, shardOutputPath, shardRange } from './shard-spec.js';

export const ON_ERROR = ['fail', 'skip'] as const;
export type OnError = (typeof ON_ERROR)[number];

/** Rows per batch: measured flat from 2,048 to 16,384 for the fixture GBDT (bench/batch/README.md). */
export const DEFAULT_BATCH_SIZE = 4096;

/**
 * Inference threads when none are asked for: one core stays with the thread that parses and
 * formats, the rest run the model. Measured on the 2-core reference machine (bench/batch/README.md):
 * one worker beat two (three busy threads on two cores) and beat running the model inline.
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface PredictOptions {
  /** `name`, `name:3`, `name@alias` or `models:/...`. */
  model: string;
  input: string;
  /** With a shard, `{shard}` in it becomes the shard's index (see `shardOutputPath`). */
  output: string;
  inputFormat?: BatchFormat | null;
  outputFormat?: BatchFormat | null;
  /** CSV input delimiter (default `,`). */
  delimiter?: string;
  idColumn?: string | null;
  keepColumns?: readonly string[];
  batchSize?: number;
  /** Inference worker threads (default: cores − 1, at least 1); 0 runs the model on the calling thread. */
  workers?: number;
  onError?: OnError;
  /** Continue from `<output>.checkpoint.json` when there is one (else start afresh). */
  resume?: boolean;
  shard?: ShardSpec | null;
  /** How often a checkpoint is written (default 5 s). */
  checkpointIntervalMs?: number;
}

export interface PreparedJob {
  id: string;
  options: Readonly<Required<Omit<PredictOptions, 'inputFormat' | 'outputFormat' | 'delimiter'>>>;
  record: ModelVersionRecord;
  inputPath: string;
  inputFormat: BatchFormat;
  outputFormat: BatchFormat;
  files: JobFiles;
  reader: BatchReader;
  plan: InputPlan;
  range: ReadRange;
  /** `[from, to)` of the input this job covers, in the reader's units, for progress. */
  span: { from: number; to: number };
  identity: JobIdentity;
  checkpoint: Checkpoint | null;
}

export async function prepareJob(
  registry: Pick<Registry, 'resolve'>,
  options: PredictOptions,
): Promise<PreparedJob> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1 << 20) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `--batch-size must be an integer from 1 to 1048576, got ${batchSize}`,
    );
  }
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `--workers must be an integer from 0 to 256, got ${workers}`,
    );
  }
  const onError = options.onError ?? 'fail';
  if (!ON_ERROR.includes(onError)) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `--on-error must be fail or skip, got "${onError}"`);
  }
  const shard = options.shard ?? null;
  const inputPath = path.resolve(options.input);
  const outputPath = path.resolve(shardOutputPath(options.output, shard));
  if (outputPath === inputPath) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `the output ${outputPath} is the input; write somewhere else`,
    );
  }
  const inputFormat = formatOf(inputPath, options.inputFormat, 'input');
  const outputFormat = formatOf(outputPath, options.outputFormat, 'output');

  const record = await registry.resolve(options.model);
  if (record.status !== 'READY' || record.modelSha256 === null) {
    throw new SlipwayError(
      'RUNTIME_MODEL_NOT_SERVABLE',
      `model ${record.name}:${record.version} is ${record.statusMessage ?? record.status.toLowerCase()}`,
    );
  }

  const reader = await openBatchReader(inputPath, inputFormat, { delimiter: options.delimiter });
  try {
    const plan = new InputPlan(record, reader.columns, {
      idColumn: options.idColumn ?? null,
      keepColumns: options.keepColumns ?? [],
    });
    const stat = await fs.stat(inputPath);
    const identity: JobIdentity = {
      model: { name: record.name, version: record.version, sha256: record.modelSha256 },
      input: { path: inputPath, bytes: stat.size, modifiedMs: Math.trunc(stat.mtimeMs), format: inputFormat },
      outputFormat,
      idColumn: options.idColumn ?? null,
      keepColumns: [...(options.keepColumns ?? [])],
      onError,
      shard,
    };
    const files = jobFiles(outputPath);
    await fs.mkdir(path.dirname(outputPath), { recursive: true });
    const checkpoint = options.resume ? await readCheckpoint(files.checkpoint) : null;
    if (checkpoint !== null) {
      const difference = identityDifference(checkpoint.identity, identity);
      if (difference !== null) {
        throw new SlipwayError(
          'BATCH_CHECKPOINT_MISMATCH',
          `cannot resume from ${files.checkpoint}: it belongs to another job (${difference}); ` +
            'run without --resume to start over',
          { checkpoint: files.checkpoint },
        );
      }
    }

    const whole = reader.size;
    const share = shard === null ? { from: 0, to: whole } : shardRange(shard, whole);
    const range: ReadRange = {
      start: checkpoint?.position ?? null,
      from: shard === null || share.from === 0 ? null : share.from,
      to: shard === null || share.to >= whole ? null : share.to,
    };
    return {
      id: checkpoint?.jobId ?? randomUUID(),
      options: Object.freeze({
        model: options.model,
        input: options.input,
        output: options.output,
        idColumn: options.idColumn ?? null,
        keepColumns: [...(options.keepColumns ?? [])],
        batchSize,
        workers,
        onError,
        resume: options.resume ?? false,
        shard,
        checkpointIntervalMs: options.checkpointIntervalMs ?? 5000,
      }),
      record,
      inputPath,
      inputFormat,
      outputFormat,
      files,
      reader,
      plan,
      range,
      span: share,
      identity,
      checkpoint,
    };
  } catch (error) {
    await reader.close();
    throw error;
  }
}
