/**
 * Runs a prepared prediction job end to end, streaming: the reader fills a batch, the model infers
 * it (on worker threads, several batches in flight so every worker stays busy while this thread
 * parses the next one), and batches are written in input order as their results come back. Memory
 * holds a fixed number of batches whatever the input's size.
 *
 * The output is written aside (`<output>.partial`) and renamed into place at the end, after its
 * provenance; a checkpoint every few seconds lets `--resume` continue after a kill.
 */
import os from 'node:os';
import type { Clock } from '../core/clock.js';
import { SlipwayError, toSlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import type { InferenceRuntime, InferenceRuntimeOptions } from '../runtime/inference-runtime.js';
import { type TensorMap, TYPED_ARRAY_CONSTRUCTORS } from '../runtime/tensor.js';
import type { JobStore } from '../store/job-store.js';
import { removeIfExists, renameDurably, writeFileAtomic } from './atomic-file.js';
import { type BatchInference, type BatchResult, openBatchInference } from './batch-inference.js';
import type { BatchWriter } from './batch-writer.js';
import { type Checkpoint, writeCheckpoint } from './checkpoint.js';
import { CsvBatchWriter } from './csv-batch-writer.js';
import { FileSink } from './file-sink.js';
import { sha256File } from './hash-file.js';
import { openBatchWriter } from './open-batch-io.js';
import { OutputPlan } from './output-plan.js';
import type { PreparedJob } from './prepare-job.js';
import type { Provenance } from './provenance.js';
import { type RejectedRow, RowBatch, type SourcePosition } from './row-batch.js';

export interface JobProgress {
  jobId: string;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  /** Fraction of the job's share of the input read, 0 to 1. */
  fraction: number;
  elapsedMs: number;
  /** Rows read per second in this run. */
  rowsPerSecond: number;
  /** Seconds left at this run's pace, or null before there is a pace. */
  etaSeconds: number | null;
}

export interface PredictResult {
  jobId: string;
  output: string;
  rejects: string | null;
  provenance: Provenance;
}

export interface RunDeps {
  jobs: JobStore;
  clock: Clock;
  createRuntime: (options: InferenceRuntimeOptions) => InferenceRuntime;
  modelBytes: () => Promise<Uint8Array>;
  version: string;
}

export interface RunHooks {
  onProgress?: ((progress: JobProgress) => void) | null;
  signal?: AbortSignal | null;
}

/** How often the job's row in the store is updated (its heartbeat). */
const STORE_UPDATE_MS = 2000;

interface InFlight {
  batch: RowBatch;
  result: Promise<BatchResult> | null;
}

/** Runs a job that `recordJobStart` has recorded; its reader is closed whatever happens. */
export async function runJob(deps: RunDeps, job: PreparedJob, hooks: RunHooks = {}): Promise<PredictResult> {
  const { options, record, reader, plan, files, checkpoint } = job;
  const startedAt = checkpoint?.startedAt ?? deps.clock.now();
  let runStarted = performance.now();
  const rows = { ...(checkpoint?.rows ?? { read: 0, written: 0, rejected: 0 }) };
  const position: SourcePosition = {
    ...(checkpoint?.position ?? { offset: job.span.from, line: 1, row: 0 }),
  };
  const fractionAtStart = fractionOf(job, reader.position);
  const signal = hooks.signal ?? null;

  const inputSha256 = sha256File(job.inputPath);
  inputSha256.catch(() => undefined);
  // Two batches per inference thread keep each busy while its last result travels back; inline, one
  // is parsed while the other runs.
  const depth = Math.max(2, options.workers * 2);
  let inference: BatchInference | null = null;
  let loading: Promise<unknown> | null = null;
  let writer: BatchWriter | null = null;
  let outputPlan: OutputPlan | null = null;
  let rejects: FileSink | null = null;
  let lastCheckpoint = performance.now();
  let lastStoreUpdate = performance.now();
  let resumes = checkpoint?.resumes ?? 0;
  if (checkpoint !== null) resumes++;

  const progress = (): JobProgress => {
    const elapsedMs = performance.now() - runStarted;
    const fraction = fractionOf(job, reader.position);
    const rate = (fraction - fractionAtStart) / elapsedMs;
    const readThisRun = rows.read - (checkpoint?.rows.read ?? 0);
    return {
      jobId: job.id,
      rowsRead: rows.read,
      rowsWritten: rows.written,
      rowsRejected: rows.rejected,
      fraction,
      elapsedMs,
      rowsPerSecond: elapsedMs > 0 ? (readThisRun / elapsedMs) * 1000 : 0,
      etaSeconds: rate > 0 && elapsedMs > 500 ? (1 - fraction) / rate / 1000 : null,
    };
  };

  const openWriter = async (sample: TensorMap | null): Promise<BatchWriter> => {
    outputPlan = OutputPlan.of(record, plan.passthrough, sample);
    if (
      checkpoint !== null &&
      outputPlan.columns.join('\u0000') !== checkpoint.outputColumns.join('\u0000')
    ) {
      throw new SlipwayError(
        'BATCH_CHECKPOINT_MISMATCH',
        `cannot resume ${files.output}: its columns were ${checkpoint.outputColumns.join(', ')}, now ${outputPlan.columns.join(', ')}`,
      );
    }
    return openBatchWriter(
      files.partial,
      job.outputFormat,
      outputPlan,
      checkpoint?.output ?? null,
      reader,
      options.batchSize,
    );
  };

  const writeRejects = async (list: readonly RejectedRow[]): Promise<void> => {
    if (list.length === 0) return;
    rejects ??= await FileSink.open(files.rejectsPartial, null);
    const text = list.map((r) => `${JSON.stringify(rejectJson(r))}\n`).join('');
    await rejects.write(Buffer.from(text, 'utf8'));
  };

  const saveCheckpoint = async (): Promise<void> => {
    if (writer === null || outputPlan === null) return;
    const state = await writer.sync();
    if (rejects !== null) await rejects.sync();
    const saved: Checkpoint = {
      version: 1,
      jobId: job.id,
      identity: job.identity,
      position: { ...position },
      rows: { ...rows },
      output: state,
      outputColumns: (outputPlan as OutputPlan).columns,
      rejectsBytes: rejects?.position ?? checkpoint?.rejectsBytes ?? 0,
      startedAt,
      savedAt: deps.clock.now(),
      resumes,
    };
    await writeCheckpoint(files.checkpoint, saved);
    lastCheckpoint = performance.now();
  };

  const heartbeat = async (force: boolean): Promise<void> => {
    const now = performance.now();
    if (!force && now - lastStoreUpdate < STORE_UPDATE_MS) return;
    lastStoreUpdate = now;
    try {
      await deps.jobs.updateJob(job.id, { rows: { ...rows }, progress: fractionOf(job, position.offset) });
    } catch {
      // A busy store must not stop the job; the next heartbeat tries again.
    }
  };

  try {
    // The model loads (threads start, sessions open) while the first batches are parsed.
    loading = (async () => {
      const bytes = await deps.modelBytes();
      inference = await openBatchInference(bytes, record.signature, {
        workers: options.workers,
        batchSize: options.batchSize,
        createRuntime: deps.createRuntime,
      });
    })();
    loading.catch(() => undefined);
    await reader.start(plan, job.range);
    runStarted = performance.now();
    if (checkpoint !== null && checkpoint.rejectsBytes > 0) {
      // Cut rejects written after the checkpoint: those rows are read again.
      rejects = await FileSink.open(files.rejectsPartial, checkpoint.rejectsBytes);
    }

    const outputBytes = outputBufferBytes(record.signature, options.batchSize);
    const free = Array.from({ length: depth + 1 }, () => new RowBatch(plan, options.batchSize, outputBytes));
    const inflight: InFlight[] = [];
    let exhausted = false;
    for (;;) {
      while (!exhausted && inflight.length < depth && !signal?.aborted) {
        const batch = free.pop()!;
        if (!(await reader.read(batch))) {
          exhausted = true;
          free.push(batch);
          break;
        }
        if (batch.rejects.length > 0 && options.onError === 'fail') throw badRow(job, batch.rejects[0]);
        let result: InFlight['result'] = null;
        if (batch.rows > 0) {
          if (loading !== null) {
            await loading;
            loading = null;
          }
          result = (inference as BatchInference | null)!.run(batch.tensors(), batch.outputBuffer);
          result.catch(() => undefined); // awaited in order below
        }
        inflight.push({ batch, result });
      }
      const head = inflight.shift();
      if (head === undefined) break;
      let outputs: TensorMap | null = null;
      if (head.result !== null) {
        const done = await head.result;
        head.batch.adopt(done.inputs);
        head.batch.outputBuffer = done.buffer;
        outputs = done.outputs;
      }
      writer ??= outputs === null ? null : await openWriter(outputs);
      if (writer !== null && outputs !== null) await writer.write(head.batch, outputs);
      await writeRejects(head.batch.rejects);
      rows.read += head.batch.rowsRead;
      rows.written += head.batch.rows;
      rows.rejected += head.batch.rejects.length;
      Object.assign(position, head.batch.end);
      free.push(head.batch);
      if (performance.now() - lastCheckpoint >= options.checkpointIntervalMs) await saveCheckpoint();
      await heartbeat(false);
      hooks.onProgress?.(progress());
    }
    if (signal?.aborted) {
      await saveCheckpoint();
      throw new SlipwayError(
        'BATCH_CANCELLED',
        `batch job ${job.id} was stopped after ${rows.read} rows; run it again with --resume to continue`,
        { jobId: job.id, checkpoint: files.checkpoint },
      );
    }

    if (loading !== null) await loading;
    // Done reading: complete the files, then put them in place, the output last.
    writer ??= await openWriter(null);
    await writer.finish();
    writer = null;
    let rejectsPath: string | null = null;
    if (rejects !== null) {
      await (rejects as FileSink).sync();
      await (rejects as FileSink).close();
      rejects = null;
      await renameDurably(files.rejectsPartial, files.rejects);
      rejectsPath = files.rejects;
    } else {
      await removeIfExists(files.rejects);
      await removeIfExists(files.rejectsPartial);
    }
    const finishedAt = deps.clock.now();
    const provenance: Provenance = {
      job_id: job.id,
      model: {
        ref: options.model,
        name: record.name,
        version: record.version,
        sha256: job.identity.model.sha256,
      },
      input: {
        path: job.inputPath,
        sha256: await inputSha256,
        bytes: job.identity.input.bytes,
        format: job.inputFormat,
      },
      output: {
        path: files.output,
        format: job.outputFormat,
        columns: (outputPlan as OutputPlan | null)?.columns ?? [],
        header_bytes:
          job.outputFormat === 'csv' && outputPlan !== null ? CsvBatchWriter.header(outputPlan).length : null,
      },
      rows: { ...rows },
      rejects: rejectsPath,
      started_at: new Date(startedAt).toISOString(),
      finished_at: new Date(finishedAt).toISOString(),
      slipway_version: deps.version,
      shard:
        options.shard === null
          ? null
          : {
              index: options.shard.index,
              count: options.shard.count,
              unit: job.inputFormat === 'parquet' ? 'rows' : 'bytes',
              from: job.span.from,
              to: job.span.to,
            },
      options: {
        batch_size: options.batchSize,
        workers: options.workers,
        on_error: options.onError,
        id_column: options.idColumn,
        keep_columns: [...options.keepColumns],
      },
      resumes,
    };
    await writeFileAtomic(files.provenance, `${JSON.stringify(provenance, null, 2)}\n`);
    await renameDurably(files.partial, files.output);
    await removeIfExists(files.checkpoint);
    await deps.jobs.updateJob(job.id, {
      status: 'SUCCEEDED',
      rows: { ...rows },
      progress: 1,
      finishedAt,
      provenance: provenance as unknown as Record<string, unknown>,
    });
    hooks.onProgress?.({ ...progress(), fraction: 1, etaSeconds: 0 });
    return { jobId: job.id, output: files.output, rejects: rejectsPath, provenance };
  } catch (error) {
    const failure = toSlipwayError(error);
    await deps.jobs
      .updateJob(job.id, {
        status: failure.code === 'BATCH_CANCELLED' ? 'CANCELLED' : 'FAILED',
        rows: { ...rows },
        finishedAt: deps.clock.now(),
        error: { code: failure.code, message: failure.code === 'INTERNAL' ? String(error) : failure.message },
      })
      .catch(() => undefined);
    throw error;
  } finally {
    await (writer as BatchWriter | null)?.close().catch(() => undefined);
    await (rejects as FileSink | null)?.close().catch(() => undefined);
    await reader.close().catch(() => undefined);
    if (loading !== null) await loading.catch(() => undefined);
    await (inference as BatchInference | null)?.close();
  }
}

/** Records the job as RUNNING (a resumed job keeps its id and creation time). */
export async function recordJobStart(jobs: JobStore, job: PreparedJob, now: number): Promise<void> {
  const { options, record, checkpoint, files } = job;
  await jobs.upsertJob({
    id: job.id,
    status: 'RUNNING',
    model: {
      ref: options.model,
      name: record.name,
      version: record.version,
      sha256: job.identity.model.sha256,
    },
    input: { path: job.inputPath, format: job.inputFormat },
    output: { path: files.output, format: job.outputFormat },
    shard: options.shard,
    options: optionsJson(job),
    rows: { ...(checkpoint?.rows ?? { read: 0, written: 0, rejected: 0 }) },
    progress: checkpoint === null ? 0 : fractionOf(job, checkpoint.position.offset),
    startedAt: checkpoint?.startedAt ?? now,
    runner: `${os.hostname()}:${process.pid}`,
  });
}

/** Bytes for one batch's outputs laid out 8-byte aligned, or null when a width is dynamic or text. */
function outputBufferBytes(signature: Signature, capacity: number): number | null {
  let bytes = 0;
  for (const spec of signature.outputs) {
    if (spec.datatype === 'BYTES') return null;
    let width = 1;
    for (let i = 1; i < spec.shape.length; i++) {
      if (spec.shape[i] < 0) return null;
      width *= spec.shape[i];
    }
    const size = capacity * width * TYPED_ARRAY_CONSTRUCTORS[spec.datatype].BYTES_PER_ELEMENT;
    bytes += Math.ceil(size / 8) * 8;
  }
  return bytes;
}

/** Where `offset` lies in the job's share of the input, 0 to 1. */
function fractionOf(job: PreparedJob, offset: number): number {
  const { from, to } = job.span;
  if (to <= from) return 1;
  return Math.min(1, Math.max(0, (offset - from) / (to - from)));
}

function rejectJson(r: RejectedRow): Record<string, unknown> {
  return { line: r.line, column: r.column, column_number: r.columnNumber, value: r.value, reason: r.reason };
}

function badRow(job: PreparedJob, r: RejectedRow): SlipwayError {
  const where = job.inputFormat === 'parquet' ? `row ${r.line}` : `line ${r.line}`;
  const column = r.columnNumber === null ? '' : `, column ${r.columnNumber} ("${r.column}")`;
  const value = r.value === null ? '' : `: ${JSON.stringify(r.value)}`;
  return new SlipwayError(
    'BATCH_BAD_ROW',
    `${job.inputPath} ${where}${column}: ${r.reason}${value}; pass --on-error skip to list such rows in ` +
      `${job.files.rejects} and go on`,
    { line: r.line, column: r.column, columnNumber: r.columnNumber, reason: r.reason },
  );
}

function optionsJson(job: PreparedJob): Record<string, unknown> {
  const o = job.options;
  return {
    batch_size: o.batchSize,
    workers: o.workers,
    on_error: o.onError,
    id_column: o.idColumn,
    keep_columns: o.keepColumns,
    resume: o.resume,
  };
}
