/** The batch prediction API, re-exported by src/index.ts. */

export { type BatchJobRecord, JOB_STATUSES, type JobQuery, type JobStatus } from '../store/job-store.js';
export { BATCH_FORMATS, type BatchFormat, formatOf, isBatchFormat } from './batch-format.js';
export { BatchJobs, type PredictHooks, STALE_AFTER_MS, type StartedJob } from './batch-jobs.js';
export { batchJobJson } from './job-json.js';
export type { MergeResult } from './merge-parts.js';
export type { JobProgress, PredictResult } from './predict-job.js';
export {
  DEFAULT_BATCH_SIZE,
  defaultWorkers,
  ON_ERROR,
  type OnError,
  type PredictOptions,
} from './prepare-job.js';
export { createProgressPrinter, type ProgressPrinter, progressJson } from './progress-printer.js';
export type { Provenance } from './provenance.js';
export {
  formatShard,
  JOB_COMPLETION_INDEX,
  resolveShard,
  type ShardSpec,
  shardOutputPath,
} from './shard-spec.js';
