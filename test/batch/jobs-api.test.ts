/**
 * The HTTP API: POST /api/v1/jobs starts the same job `slipway predict` runs, in the server process,
 * and answers 202 with its id at once; GET /api/v1/jobs/:id polls its status, progress, counts and,
 * once done, its provenance. Bad requests fail before the job starts, with the catalogue's codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { HOLDOUT_CSV, modelPath, readOutput, TRAIN_CSV, tempDir, writeSyntheticCsv } from './helpers.js';

let dir: string;
let slipway: Slipway;
let serving: Awaited<ReturnType<typeof createServing>>;
let app: FastifyInstance;

beforeAll(async () => {
  dir = tempDir();
  slipway = await openSlipway({ home: path.join(dir, 'home') });
  await slipway.registry.register({
    name: 'gbdt',
    path: modelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
  });
  serving = await createServing(slipway, { selection: [], workers: 1 });
  ({ app } = await createApp({ slipway, repository: serving.repository }));
});

afterAll(async () => {
  await app?.close();
  await serving?.close();
  await slipway?.close();
});

async function until(
  id: string,
  done: (job: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` });
    expect(res.statusCode).toBe(200);
    const job = res.json();
    if (done(job) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('/api/v1/jobs', () => {
  it('starts a job, answers 202 with its id, and reports it to the end with its provenance', async () => {
    const output = path.join(dir, 'api-out.jsonl');
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { model: 'gbdt', input: HOLDOUT_CSV, output, keep_columns: ['target'], workers: 1 },
    });
    expect(res.statusCode, res.body).toBe(202);
    const started = res.json();
    expect(started.status).toBe('RUNNING');
    expect(res.headers.location).toBe(`/api/v1/jobs/${started.id}`);
    const job = await until(started.id, (j) => j.status !== 'RUNNING');
    expect(job).toMatchObject({
      id: started.id,
      status: 'SUCCEEDED',
      stale: false,
      progress: 1,
      rows: { read: 171, written: 171, rejected: 0 },
      model: { name: 'gbdt', version: 1, ref: 'gbdt' },
      output: { path: output, format: 'jsonl' },
      error: null,
    });
    const provenance = job.provenance as Record<string, unknown>;
    expect(provenance).toEqual(JSON.parse(fs.readFileSync(`${output}.provenance.json`, 'utf8')));
    expect(await readOutput(output)).toHaveLength(171);

    const list = (await app.inject({ method: 'GET', url: '/api/v1/jobs?status=SUCCEEDED' })).json();
    expect(list.jobs.map((j: { id: string }) => j.id)).toContain(started.id);
  });

  it('shows progress and counts while a job runs, and can cancel it with a checkpoint', async () => {
    const input = path.join(dir, 'big.csv');
    writeSyntheticCsv(input, 200_000);
    const output = path.join(dir, 'big-out.csv');
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: {
        model: 'gbdt',
        input,
        output,
        id_column: 'id',
        batch_size: 256,
        workers: 1,
        checkpoint_interval_seconds: 0.05,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json();
    const running = await until(id, (j) => (j.rows as { read: number }).read > 0 || j.status !== 'RUNNING');
    expect(running.status).toBe('RUNNING');
    expect(running.progress).toBeGreaterThan(0);
    expect((await app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel` })).statusCode).toBe(202);
    const cancelled = await until(id, (j) => j.status !== 'RUNNING');
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.error).toMatchObject({ code: 'BATCH_CANCELLED' });
    expect(fs.existsSync(`${output}.checkpoint.json`)).toBe(true);
    expect(fs.existsSync(output)).toBe(false);

    // Resumed through the API: the same job id runs to the end.
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { model: 'gbdt', input, output, id_column: 'id', workers: 1, resume: true },
    });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().id).toBe(id);
    const done = await until(id, (j) => j.status !== 'RUNNING');
    expect(done.status).toBe('SUCCEEDED');
    expect((done.provenance as { resumes: number }).resumes).toBe(1);
    expect(fs.readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(200_001);
  });

  it('refuses bad requests before starting anything, with the catalogue codes', async () => {
    const post = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/v1/jobs', payload });
    const missing = await post({
      model: 'gbdt',
      input: path.join(dir, 'nope.csv'),
      output: path.join(dir, 'o.csv'),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('ARTIFACTS_FILE_NOT_FOUND');
    const model = await post({ model: 'nope', input: HOLDOUT_CSV, output: path.join(dir, 'o.csv') });
    expect(model.statusCode).toBe(404);
    expect(model.json().code).toBe('REGISTRY_MODEL_NOT_FOUND');
    const column = await post({
      model: 'gbdt',
      input: HOLDOUT_CSV,
      output: path.join(dir, 'o.csv'),
      id_column: 'who',
    });
    expect(column.statusCode).toBe(400);
    expect(column.json()).toMatchObject({ code: 'BATCH_MISSING_COLUMN' });
    const shape = await post({ model: 'gbdt', input: HOLDOUT_CSV });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().code).toBe('CORE_INVALID_ARGUMENT');
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/jobs/no-such-job' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('BATCH_JOB_NOT_FOUND');
  });
});
