/**
 * `<output>.provenance.json` ties an output to the exact model and input bytes, with the counts that
 * make silent loss visible; the job is recorded in the store and shown by `slipway jobs`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchJobs, openSlipway, type Slipway } from '../../src/index.js';
import { cli, HOLDOUT_CSV, modelPath, TRAIN_CSV, tempDir } from './helpers.js';

let dir: string;
let home: string;
let slipway: Slipway;

beforeAll(async () => {
  dir = tempDir();
  home = path.join(dir, 'home');
  slipway = await openSlipway({ home });
  await slipway.registry.register({
    name: 'gbdt',
    path: modelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
    aliases: ['champion'],
  });
});

afterAll(async () => {
  await slipway?.close();
});

describe('provenance', () => {
  it('names the model and input by sha256, with counts, times, version and options', async () => {
    const jobs = openBatchJobs(slipway);
    const output = path.join(dir, 'out.parquet');
    const before = Date.now();
    const result = await jobs.predict({
      model: 'gbdt@champion',
      input: HOLDOUT_CSV,
      output,
      keepColumns: ['target'],
      workers: 1,
    });
    await jobs.close();
    const record = await slipway.registry.resolve('gbdt:1');
    const provenance = JSON.parse(fs.readFileSync(`${output}.provenance.json`, 'utf8'));
    expect(provenance).toEqual(result.provenance);
    const version = JSON.parse(fs.readFileSync('package.json', 'utf8')).version;
    expect(provenance).toEqual({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      model: { ref: 'gbdt@champion', name: 'gbdt', version: 1, sha256: record.modelSha256 },
      input: {
        path: HOLDOUT_CSV,
        sha256: createHash('sha256').update(fs.readFileSync(HOLDOUT_CSV)).digest('hex'),
        bytes: fs.statSync(HOLDOUT_CSV).size,
        format: 'csv',
      },
      output: {
        path: output,
        format: 'parquet',
        columns: ['target', 'label', 'probabilities_0', 'probabilities_1'],
        header_bytes: null,
      },
      rows: { read: 171, written: 171, rejected: 0 },
      rejects: null,
      started_at: expect.any(String),
      finished_at: expect.any(String),
      slipway_version: version,
      shard: null,
      options: { batch_size: 4096, workers: 1, on_error: 'fail', id_column: null, keep_columns: ['target'] },
      resumes: 0,
    });
    const started = Date.parse(provenance.started_at);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(provenance.finished_at)).toBeGreaterThanOrEqual(started);
  });

  it('a shard’s provenance gives its share of the input', async () => {
    const jobs = openBatchJobs(slipway);
    const result = await jobs.predict({
      model: 'gbdt',
      input: HOLDOUT_CSV,
      output: path.join(dir, 'part-{shard}.csv'),
      shard: { index: 1, count: 3 },
      workers: 0,
    });
    await jobs.close();
    const size = fs.statSync(HOLDOUT_CSV).size;
    expect(result.provenance.shard).toEqual({
      index: 1,
      count: 3,
      unit: 'bytes',
      from: Math.floor(size / 3),
      to: Math.floor((2 * size) / 3),
    });
    expect(result.provenance.output.header_bytes).toBe('label,probabilities_0,probabilities_1\n'.length);
  });
});

describe('slipway jobs and predict, as the CLI', () => {
  it('predict prints JSON progress lines off a terminal; jobs list and show report the job', async () => {
    const output = path.join(dir, 'cli-out.csv');
    const run = await cli([
      '--home',
      home,
      'predict',
      'gbdt',
      '--input',
      HOLDOUT_CSV,
      '--output',
      output,
      '--workers',
      '1',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const progress = run.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(progress.at(-1)).toMatchObject({
      event: 'progress',
      rows_read: 171,
      rows_written: 171,
      fraction: 1,
    });
    expect(run.stdout).toContain('171 read, 171 written, 0 rejected');
    const jobId = progress[0].job_id;

    const list = await cli(['--home', home, '--json', 'jobs', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout).find((j: { id: string }) => j.id === jobId);
    expect(listed).toMatchObject({
      status: 'SUCCEEDED',
      rows: { read: 171, written: 171, rejected: 0 },
      output: { path: output },
    });

    const show = await cli(['--home', home, 'jobs', 'show', jobId]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/status:\s+SUCCEEDED/);
    expect(show.stdout).toContain(`${output}.provenance.json`);

    const missing = await cli(['--home', home, 'jobs', 'show', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('error: no batch job has id "nope"\n');
  });
});
