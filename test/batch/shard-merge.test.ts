/**
 * Distributed runs: N shards cover every row exactly once, whatever N and the format, and
 * `predict merge` joins their parts into exactly what one unsharded run writes. The shard index can
 * come from JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job (the last test runs the real CLI
 * that way, one process per shard).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchJobs,
  openBatchJobs,
  openSlipway,
  resolveShard,
  type Slipway,
  shardOutputPath,
} from '../../src/index.js';
import {
  cli,
  csvObjects,
  modelPath,
  readNumericCsv,
  readOutput,
  TRAIN_CSV,
  tempDir,
  writeJsonl,
  writeParquet,
  writeSyntheticCsv,
} from './helpers.js';

const ROWS = 5000;
let dir: string;
let home: string;
let slipway: Slipway;
let jobs: BatchJobs;
const inputs = { csv: '', jsonl: '', parquet: '' };

beforeAll(async () => {
  dir = tempDir();
  home = path.join(dir, 'home');
  slipway = await openSlipway({ home });
  await slipway.registry.register({
    name: 'gbdt',
    path: modelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
  });
  jobs = openBatchJobs(slipway);
  inputs.csv = path.join(dir, 'rows.csv');
  writeSyntheticCsv(inputs.csv, ROWS);
  const { header, rows } = readNumericCsv(inputs.csv);
  const objects = rows.map((r) =>
    Object.fromEntries(header.map((h, i) => [h, i === 0 ? Number(r[i].slice(1)) : Number(r[i])])),
  );
  inputs.jsonl = path.join(dir, 'rows.jsonl');
  writeJsonl(inputs.jsonl, objects);
  inputs.parquet = path.join(dir, 'rows.parquet');
  writeParquet(inputs.parquet, objects as Record<string, number>[], 700);
});

afterAll(async () => {
  await jobs?.close();
  await slipway?.close();
});

describe('--shard i/N', () => {
  for (const format of ['csv', 'jsonl', 'parquet'] as const) {
    for (const count of [4, 13]) {
      it(`${format}: ${count} shards cover every row exactly once, and merge equals one run`, async () => {
        const whole = path.join(dir, `whole-${format}-${count}.${format}`);
        await jobs.predict({
          model: 'gbdt',
          input: inputs[format],
          output: whole,
          idColumn: 'id',
          workers: 1,
          batchSize: 256,
        });
        const template = path.join(dir, `part-${format}-${count}-{shard}.${format}`);
        const parts: string[] = [];
        const seen = new Map<string, number>();
        for (let index = 0; index < count; index++) {
          const result = await jobs.predict({
            model: 'gbdt',
            input: inputs[format],
            output: template,
            idColumn: 'id',
            workers: 0,
            batchSize: 256,
            shard: { index, count },
          });
          expect(result.output).toBe(shardOutputPath(template, { index, count }));
          expect(result.provenance.shard).toMatchObject({ index, count });
          parts.push(result.output);
          for (const id of await idsOf(result.output)) seen.set(id, (seen.get(id) ?? 0) + 1);
        }
        expect(seen.size).toBe(ROWS);
        expect([...seen.values()].every((n) => n === 1)).toBe(true);

        const merged = path.join(dir, `merged-${format}-${count}.${format}`);
        const result = await jobs.merge([...parts].reverse(), merged);
        expect(result.provenance.rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
        expect(result.provenance.parts?.map((p) => p.shard)).toEqual(
          Array.from({ length: count }, (_, i) => i),
        );
        if (format === 'parquet') expect(await readOutput(merged)).toEqual(await readOutput(whole));
        else expect(fs.readFileSync(merged, 'utf8')).toBe(fs.readFileSync(whole, 'utf8'));
      });
    }
  }

  it('merge refuses an incomplete or mixed set of parts', async () => {
    const template = path.join(dir, 'set-{shard}.csv');
    const parts: string[] = [];
    for (let index = 0; index < 3; index++) {
      parts.push(
        (
          await jobs.predict({
            model: 'gbdt',
            input: inputs.csv,
            output: template,
            workers: 0,
            shard: { index, count: 3 },
          })
        ).output,
      );
    }
    const missing = await jobs.merge(parts.slice(0, 2), path.join(dir, 'm1.csv')).catch((e) => e);
    expect(missing.code).toBe('BATCH_INVALID_PARTS');
    expect(missing.message).toBe('shard 2 of 3 missing');
    const twice = await jobs.merge([parts[0], parts[0], parts[1]], path.join(dir, 'm2.csv')).catch((e) => e);
    expect(twice.message).toMatch(/are both shard 0$/);
    const other = path.join(dir, 'other-{shard}.csv');
    const otherPart = (
      await jobs.predict({
        model: 'gbdt',
        input: inputs.jsonl,
        output: other,
        workers: 0,
        shard: { index: 2, count: 3 },
      })
    ).output;
    const mixed = await jobs.merge([parts[0], parts[1], otherPart], path.join(dir, 'm3.csv')).catch((e) => e);
    expect(mixed.message).toContain('was made from another input');
    const unsharded = await jobs
      .merge([path.join(dir, 'whole-csv-4.csv')], path.join(dir, 'm4.csv'))
      .catch((e) => e);
    expect(unsharded.message).toContain("is not a shard's output");
  });
});

/** The id column of an output, as text. */
async function idsOf(file: string): Promise<string[]> {
  if (file.endsWith('.csv')) return readNumericCsv(file).rows.map((r) => r[0]);
  return (await readOutput(file)).map((r) => String(r.id));
}

describe('shard flags', () => {
  it('take the index from JOB_COMPLETION_INDEX when only the count is given', () => {
    const env = { JOB_COMPLETION_INDEX: '2' };
    expect(resolveShard('1/4', null, env)).toEqual({ index: 1, count: 4 });
    expect(resolveShard('/4', null, env)).toEqual({ index: 2, count: 4 });
    expect(resolveShard(null, 4, env)).toEqual({ index: 2, count: 4 });
    expect(resolveShard(null, null, env)).toBeNull();
    expect(resolveShard('0/1', null, env)).toBeNull();
    expect(() => resolveShard('/4', null, {})).toThrow(/JOB_COMPLETION_INDEX/);
    expect(() => resolveShard('4/4', null, env)).toThrow(/out of range/);
    expect(() => resolveShard('1/4', 5, env)).toThrow(/--shard says 4 shards but --shards says 5/);
    expect(() => resolveShard('a/b', null, env)).toThrow(/must be i\/N/);
  });

  it('name each shard’s output apart', () => {
    expect(shardOutputPath('/d/out.csv', { index: 3, count: 10 })).toBe('/d/out.part-00003-of-00010.csv');
    expect(shardOutputPath('/d/out-{shard}.parquet', { index: 3, count: 10 })).toBe('/d/out-00003.parquet');
    expect(shardOutputPath('/d/out.csv', null)).toBe('/d/out.csv');
  });

  it('the real CLI, one process per shard as in an Indexed Job, then predict merge', async () => {
    const output = path.join(dir, 'k8s', 'preds-{shard}.csv');
    const runs = await Promise.all(
      [0, 1, 2].map((i) =>
        cli(
          [
            '--home',
            home,
            'predict',
            'gbdt',
            '--input',
            inputs.csv,
            '--output',
            output,
            '--shards',
            '3',
            '--id-column',
            'id',
            '--workers',
            '1',
            '--quiet',
          ],
          { JOB_COMPLETION_INDEX: String(i) },
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const parts = [0, 1, 2].map((i) => shardOutputPath(output, { index: i, count: 3 }));
    const merged = path.join(dir, 'k8s', 'preds.csv');
    const merge = await cli(['--home', home, 'predict', 'merge', ...parts, '--output', merged, '--json']);
    expect(merge.code, merge.stderr).toBe(0);
    expect(JSON.parse(merge.stdout).rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
    expect(csvObjects(merged).length).toBe(ROWS);
    const ids = fs
      .readFileSync(merged, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => `r${i}`));
  });
});
