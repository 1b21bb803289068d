import type { FastifyInstance } from 'fastify';
import { SlipwayError } from '../../core/errors.js';
import {
  BATCH_FORMATS,
  batchJobJson,
  JOB_STATUSES,
  type JobStatus,
  ON_ERROR,
  openBatchJobs,
  type PredictOptions,
  resolveShard,
} from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';

interface JobBody {
  model: string;
  input: string;
  output: string;
  format?: string;
  input_format?: string;
  output_format?: string;
  delimiter?: string;
  id_column?: string;
  keep_columns?: string[];
  batch_size?: number;
  workers?: number;
  on_error?: string;
  resume?: boolean;
  shard?: string;
  checkpoint_interval_seconds?: number;
}

const JOB_BODY = {
  type: 'object',
  required: ['model', 'input', 'output'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, description: 'name, name:version, name@alias or models:/...' },
    input: { type: 'string', minLength: 1, description: 'a path the server can read' },
    output: { type: 'string', minLength: 1, description: 'a path the server can write' },
    format: { type: 'string', enum: [...BATCH_FORMATS] },
    input_format: { type: 'string', enum: [...BATCH_FORMATS] },
    output_format: { type: 'string', enum: [...BATCH_FORMATS] },
    delimiter: { type: 'string', minLength: 1, maxLength: 1 },
    id_column: { type: 'string', minLength: 1 },
    keep_columns: { type: 'array', items: { type: 'string', minLength: 1 } },
    batch_size: { type: 'integer', minimum: 1 },
    workers: { type: 'integer', minimum: 0 },
    on_error: { type: 'string', enum: [...ON_ERROR] },
    resume: { type: 'boolean' },
    shard: { type: 'string', description: 'i/N' },
    checkpoint_interval_seconds: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

/**
 * Batch prediction jobs over HTTP, under /api/v1/jobs: the same jobs as `slipway predict`, run in the
 * server process and recorded in the same store. A POST checks what can be checked before any row is
 * read (model, files, columns: 400 or 404 at once) and answers 202 with the job's id; GET polls it.
 * Paths are the server's own: expose this API only to those trusted with its file system (the
 * bearer token guards it like every other route). Shutdown stops running jobs with a checkpoint.
 */
export async function jobsPlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ code: error.code, message: error.message, details: error.details ?? {} });
  });
  const jobs = openBatchJobs(ctx.slipway);
  app.addHook('onClose', async () => jobs.close());
  const tags = ['slipway batch jobs'];

  app.post<{ Body: JobBody }>(
    '/api/v1/jobs',
    { schema: { tags, summary: 'Start a batch prediction job', body: JOB_BODY } },
    async (request, reply) => {
      const b = request.body;
      const options: PredictOptions = {
        model: b.model,
        input: b.input,
        output: b.output,
        inputFormat: (b.input_format ?? b.format ?? null) as PredictOptions['inputFormat'],
        outputFormat: (b.output_format ?? b.format ?? null) as PredictOptions['outputFormat'],
        delimiter: b.delimiter,
        idColumn: b.id_column ?? null,
        keepColumns: b.keep_columns ?? [],
        batchSize: b.batch_size,
        workers: b.workers,
        onError: b.on_error as PredictOptions['onError'],
        resume: b.resume ?? false,
        // The server's own JOB_COMPLETION_INDEX is not the client's: a shard is always named here.
        shard: b.shard === undefined ? null : resolveShard(b.shard, null, {}),
        checkpointIntervalMs:
          b.checkpoint_interval_seconds === undefined ? undefined : b.checkpoint_interval_seconds * 1000,
      };
      const started = await jobs.start(options);
      started.done.catch((err) => request.log.warn({ err, job: started.id }, 'batch job failed'));
      const job = await jobs.get(started.id);
      return reply.code(202).header('location', `/api/v1/jobs/${started.id}`).send(batchJobJson(job, false));
    },
  );

  app.get<{ Querystring: { status?: string; limit?: string; offset?: string } }>(
    '/api/v1/jobs',
    { schema: { tags, summary: 'Batch jobs, newest first, paged with limit/offset' } },
    async (request) => {
      const { status } = request.query;
      if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `status must be one of ${JOB_STATUSES.join(', ')}, got "${status}"`,
        );
      }
      const limit = clampInt(request.query.limit, 100, 1, 1000);
      const offset = clampInt(request.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
      const list = await jobs.list({ status: status as JobStatus | undefined, limit: limit + 1, offset });
      return {
        jobs: list.slice(0, limit).map((j) => batchJobJson(j, jobs.isStale(j))),
        next_offset: list.length > limit ? offset + limit : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/jobs/:id',
    { schema: { tags, summary: 'One batch job: status, progress, counts, error, provenance' } },
    async (request) => {
      const job = await jobs.get(request.params.id);
      return batchJobJson(job, jobs.isStale(job));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/jobs/:id/cancel',
    { schema: { tags, summary: 'Stop a job running in this server, with a checkpoint to resume from' } },
    async (request, reply) => {
      const job = await jobs.get(request.params.id);
      if (!jobs.cancel(job.id)) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `batch job ${job.id} is ${job.status} and does not run in this server; only its own running jobs can be cancelled`,
        );
      }
      return reply.code(202).send(batchJobJson(job, false));
    },
  );
}

function clampInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
