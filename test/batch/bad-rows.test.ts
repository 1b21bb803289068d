/**
 * Bad rows never produce silent output: with --on-error fail (the default) the job stops at the
 * first bad row naming its file line and column, and writes no output; with skip, the good rows are
 * predicted and each bad one is listed in <output>.rejects.jsonl with its reason. A missing column
 * stops the job before any work, naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchJobs, openBatchJobs, openSlipway, type Slipway, SlipwayError } from '../../src/index.js';
import { HOLDOUT_CSV, modelPath, readOutput, TRAIN_CSV, tempDir } from './helpers.js';

let dir: string;
let slipway: Slipway;
let jobs: BatchJobs;
let header: string;
let lines: string[];

beforeAll(async () => {
  dir = tempDir();
  slipway = await openSlipway({ home: path.join(dir, 'home') });
  await slipway.registry.register({
    name: 'gbdt',
    path: modelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
  });
  jobs = openBatchJobs(slipway);
  [header, ...lines] = fs.readFileSync(HOLDOUT_CSV, 'utf8').trim().split('\n');
});

afterAll(async () => {
  await jobs?.close();
  await slipway?.close();
});

/** The holdout CSV with some data lines (0-based) replaced. */
function withBadLines(name: string, replace: Record<number, string>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [header, ...lines.map((l, i) => replace[i] ?? l)].join('\n') + '\n');
  return file;
}

function cells(line: string): string[] {
  return line.split(',');
}

describe('--on-error fail', () => {
  it('stops at the first bad row with its file line and column, and writes no output', async () => {
    const bad = cells(lines[9]);
    bad[4] = 'oops'; // mean_smoothness, the 5th column
    const input = withBadLines('fail.csv', { 9: bad.join(','), 20: 'garbage' });
    const output = path.join(dir, 'fail-out.csv');
    const error = await jobs
      .predict({ model: 'gbdt', input, output, workers: 1, batchSize: 4 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.code).toBe('BATCH_BAD_ROW');
    // Line 11: the header is line 1, data line 0 is line 2.
    expect(error.message).toContain('line 11, column 5 ("mean_smoothness"): not a number: "oops"');
    expect(error.message).toContain('--on-error skip');
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.existsSync(`${output}.provenance.json`)).toBe(false);
    const [job] = await jobs.list({ limit: 1 });
    expect(job.status).toBe('FAILED');
    expect(job.error?.code).toBe('BATCH_BAD_ROW');
  });

  it('reports a row with the wrong number of fields as a whole-row error', async () => {
    const input = withBadLines('short.csv', { 3: cells(lines[3]).slice(0, 29).join(',') });
    const error = await jobs
      .predict({ model: 'gbdt', input, output: path.join(dir, 'short-out.csv'), workers: 1 })
      .catch((e) => e);
    expect(error.code).toBe('BATCH_BAD_ROW');
    expect(error.message).toContain('line 5: expected 31 fields as in the header, got 29');
  });
});

describe('--on-error skip', () => {
  it('predicts the good rows and lists every bad one with its line, column and reason', async () => {
    const empty = cells(lines[0]);
    empty[29] = '';
    const text = cells(lines[5]);
    text[0] = '"12,5"';
    const input = withBadLines('skip.csv', { 0: empty.join(','), 5: text.join(','), 170: 'x,y' });
    const output = path.join(dir, 'skip-out.jsonl');
    const result = await jobs.predict({
      model: 'gbdt',
      input,
      output,
      onError: 'skip',
      keepColumns: ['target'],
      workers: 1,
    });
    expect(result.provenance.rows).toEqual({ read: 171, written: 168, rejected: 3 });
    expect(result.rejects).toBe(`${output}.rejects.jsonl`);
    const rejects = fs
      .readFileSync(result.rejects!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      {
        line: 2,
        column: 'worst_fractal_dimension',
        column_number: 30,
        value: '',
        reason: 'empty value; a number is required',
      },
      { line: 7, column: 'mean_radius', column_number: 1, value: '12,5', reason: 'not a number' },
      { line: 172, column: 'mean_radius', column_number: 1, value: 'x', reason: 'not a number' },
    ]);
    const rows = await readOutput(output);
    expect(rows).toHaveLength(168);
  });

  it('refuses bad JSON Lines rows: not JSON, a missing key, a null or text value', async () => {
    const file = path.join(dir, 'bad.jsonl');
    const objects = lines
      .slice(0, 5)
      .map((l) => Object.fromEntries(header.split(',').map((h, i) => [h, Number(l.split(',')[i])])));
    delete (objects[1] as Record<string, unknown>).mean_area;
    (objects[2] as Record<string, unknown>).mean_area = null;
    (objects[3] as Record<string, unknown>).mean_area = 'big';
    fs.writeFileSync(file, `${objects.map((o) => JSON.stringify(o)).join('\n')}\n{not json\n`);
    const output = path.join(dir, 'bad-out.csv');
    const result = await jobs.predict({ model: 'gbdt', input: file, output, onError: 'skip', workers: 1 });
    expect(result.provenance.rows).toEqual({ read: 6, written: 2, rejected: 4 });
    const rejects = fs
      .readFileSync(result.rejects!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => [r.line, r.column, r.reason])).toEqual([
      [2, 'mean_area', 'missing key'],
      [3, 'mean_area', 'null value; a value is required'],
      [4, 'mean_area', 'not a number'],
      [6, null, expect.stringMatching(/^not JSON/)],
    ]);
  });
});

describe('columns', () => {
  it('a missing feature column stops the job before any work, naming it', async () => {
    const dropped = header.split(',').indexOf('worst_area');
    const file = path.join(dir, 'missing.csv');
    const keep = (l: string) =>
      l
        .split(',')
        .filter((_, i) => i !== dropped)
        .join(',');
    fs.writeFileSync(file, [header, ...lines].map(keep).join('\n'));
    const output = path.join(dir, 'missing-out.csv');
    const before = (await jobs.list()).length;
    const error = await jobs.predict({ model: 'gbdt', input: file, output }).catch((e) => e);
    expect(error.code).toBe('BATCH_MISSING_COLUMN');
    expect(error.message).toMatch(
      /^the input file has no column "worst_area", which model gbdt:1 needs as a feature;/,
    );
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.existsSync(`${output}.partial`)).toBe(false);
    expect((await jobs.list()).length).toBe(before); // no job was even recorded
  });

  it('a missing --id-column or --keep-columns column is named too', async () => {
    const error = await jobs
      .predict({
        model: 'gbdt',
        input: HOLDOUT_CSV,
        output: path.join(dir, 'x.csv'),
        idColumn: 'customer_id',
      })
      .catch((e) => e);
    expect(error.code).toBe('BATCH_MISSING_COLUMN');
    expect(error.message).toContain('no column "customer_id" to copy through');
  });

  it('extra columns are ignored and column order does not matter', async () => {
    const names = header.split(',');
    const order = names.map((_, i) => i).reverse();
    const file = path.join(dir, 'reordered.csv');
    fs.writeFileSync(
      file,
      [
        ['extra', ...order.map((i) => names[i])].join(','),
        ...lines.map((l) => ['x', ...order.map((i) => l.split(',')[i])].join(',')),
      ].join('\n'),
    );
    const a = path.join(dir, 'reordered-out.csv');
    const b = path.join(dir, 'plain-out.csv');
    await jobs.predict({ model: 'gbdt', input: file, output: a, workers: 0 });
    await jobs.predict({ model: 'gbdt', input: HOLDOUT_CSV, output: b, workers: 0 });
    expect(fs.readFileSync(a, 'utf8')).toBe(fs.readFileSync(b, 'utf8'));
  });

  it('an unknown extension needs --input-format or --output-format', async () => {
    const error = await jobs
      .predict({ model: 'gbdt', input: HOLDOUT_CSV, output: path.join(dir, 'out.json') })
      .catch((e) => e);
    expect(error.code).toBe('BATCH_UNSUPPORTED_FORMAT');
    expect(error.message).toContain('.json is ambiguous');
  });
});
