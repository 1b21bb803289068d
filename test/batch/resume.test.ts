/**
 * Kill and resume: a real `slipway predict` process is SIGKILLed part-way (after its first
 * checkpoint, while it keeps writing past it), then `--resume` finishes the job, and the final
 * output equals an uninterrupted run's row for row (byte for byte for CSV). The job keeps its id.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchJobs, openSlipway } from '../../src/index.js';
import { cli, MAIN, modelPath, readOutput, TRAIN_CSV, tempDir, writeSyntheticCsv } from './helpers.js';

const ROWS = 150_000;
let dir: string;
let home: string;
let input: string;

beforeAll(async () => {
  dir = tempDir();
  home = path.join(dir, 'home');
  const slipway = await openSlipway({ home });
  await slipway.registry.register({
    name: 'gbdt',
    path: modelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
  });
  await slipway.close();
  input = path.join(dir, 'rows.csv');
  writeSyntheticCsv(input, ROWS);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts predict, SIGKILLs it once a checkpoint exists and more has been written after it. */
async function killMidRun(args: string[], output: string): Promise<{ checkpointRows: number }> {
  const checkpointFile = `${output}.checkpoint.json`;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let checkpointRows = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`predict ended before it could be killed: ${stderr}`);
    try {
      const saved = JSON.parse(fs.readFileSync(checkpointFile, 'utf8'));
      const partial = fs.statSync(`${output}.partial`).size;
      // Kill once the output has grown past the checkpoint: the resume must cut those bytes.
      if (saved.rows.read > 0 && partial > saved.output.bytes) {
        checkpointRows = saved.rows.read;
        break;
      }
    } catch {
      // not written yet, or being replaced
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return { checkpointRows };
}

describe('predict --resume after SIGKILL', () => {
  for (const format of ['csv', 'parquet'] as const) {
    it(`${format} output: the resumed output equals an uninterrupted run's`, async () => {
      const reference = path.join(dir, `reference.${format}`);
      const ref = await cli([
        '--home',
        home,
        'predict',
        'gbdt',
        '--input',
        input,
        '--output',
        reference,
        '--id-column',
        'id',
        '--workers',
        '1',
        '--quiet',
      ]);
      expect(ref.code, ref.stderr).toBe(0);

      const output = path.join(dir, `killed.${format}`);
      const args = [
        '--home',
        home,
        'predict',
        'gbdt',
        '--input',
        input,
        '--output',
        output,
        '--id-column',
        'id',
        '--workers',
        '1',
        '--batch-size',
        '512',
        '--checkpoint-interval',
        '0.05',
        '--quiet',
      ];
      const { checkpointRows } = await killMidRun(args, output);
      expect(checkpointRows).toBeGreaterThan(0);
      expect(checkpointRows).toBeLessThan(ROWS);
      expect(fs.existsSync(output)).toBe(false);
      const killedJob = JSON.parse(fs.readFileSync(`${output}.checkpoint.json`, 'utf8')).jobId;

      const resumed = await cli([...args, '--resume', '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const provenance = JSON.parse(resumed.stdout);
      expect(provenance.rows).toEqual({ read: ROWS, written: ROWS, rejected: 0 });
      expect(provenance.resumes).toBe(1);
      expect(provenance.job_id).toBe(killedJob);
      expect(fs.existsSync(`${output}.checkpoint.json`)).toBe(false);
      expect(fs.existsSync(`${output}.partial`)).toBe(false);
      if (format === 'csv') expect(fs.readFileSync(output).equals(fs.readFileSync(reference))).toBe(true);
      else expect(await readOutput(output)).toEqual(await readOutput(reference));

      const slipway = await openSlipway({ home });
      try {
        const job = await openBatchJobs(slipway).get(killedJob);
        expect(job.status).toBe('SUCCEEDED');
        expect(job.rows.read).toBe(ROWS);
      } finally {
        await slipway.close();
      }
    });
  }

  it('refuses a checkpoint of another job, and starts afresh without --resume', async () => {
    const output = path.join(dir, 'other.csv');
    const args = [
      '--home',
      home,
      'predict',
      'gbdt',
      '--input',
      input,
      '--output',
      output,
      '--workers',
      '1',
      '--batch-size',
      '512',
      '--checkpoint-interval',
      '0.05',
      '--quiet',
    ];
    await killMidRun(args, output);
    const mismatch = await cli([...args, '--resume', '--keep-columns', 'id']);
    expect(mismatch.code).toBe(4);
    expect(mismatch.stderr).toContain('belongs to another job (--keep-columns was , now id)');
    const fresh = await cli([...args, '--json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout).resumes).toBe(0);
  });
});
