/**
 * Shared by the batch tests: the fixture data written in each input format, outputs read back as
 * rows, and the CLI run as a real process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';

export const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
export const TRAIN_CSV = path.join(FIXTURES, 'datasets/breast_cancer_train.csv');
export const HOLDOUT_CSV = path.join(FIXTURES, 'datasets/breast_cancer_holdout.csv');
export const MAIN = path.resolve('src/cli/main.ts');

export function modelPath(name: 'breast_cancer_gbdt' | 'breast_cancer_mlp'): string {
  return path.join(FIXTURES, name, 'model.onnx');
}

export function sample(name: string): {
  inputs: Record<string, number[][]>;
  expected: Record<string, unknown[]>;
} {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'sample.json'), 'utf8'));
}

export function meta(name: string): { feature_names: string[]; class_labels?: string[] } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'meta.json'), 'utf8'));
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-batch-'));
}

/** A CSV file's header and rows (plain numeric CSV: no quotes). */
export function readNumericCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Rows as objects of the CSV's cells, as numbers. */
export function csvObjects(file: string): Record<string, number>[] {
  const { header, rows } = readNumericCsv(file);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, Number(r[i])])));
}

/** The same rows as JSON Lines, one object per line. */
export function writeJsonl(file: string, rows: Record<string, unknown>[]): void {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** The same rows as Parquet (DOUBLE columns), in row groups of `rowGroupSize`. */
export function writeParquet(file: string, rows: Record<string, number>[], rowGroupSize = 64): void {
  const names = Object.keys(rows[0]);
  parquetWriteFile({
    filename: file,
    columnData: names.map((name) => ({ name, data: rows.map((r) => r[name]), type: 'DOUBLE' as const })),
    rowGroupSize,
  });
}

/** An output file of any format read back as row objects. */
export async function readOutput(file: string): Promise<Record<string, unknown>[]> {
  if (file.endsWith('.parquet')) {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
    return rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
    );
  }
  if (file.endsWith('.jsonl')) {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  }
  return csvObjects(file);
}

/** `actual` within `rel` of `expected` (relative, or absolute near zero as test/helpers expectClose). */
export function close(actual: number, expected: number, scale: number, rel = 1e-4): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), scale * 1e-2) + 1e-7;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI from sources (tsx) and resolves when it exits. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * A seeded CSV of `rows` rows of the 30 features (training rows plus noise, 4 significant digits),
 * with an `id` column first.
 */
export function writeSyntheticCsv(file: string, rows: number, seed = 7): void {
  const { header, rows: train } = readNumericCsv(TRAIN_CSV);
  const features = header.slice(0, -1);
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const fd = fs.openSync(file, 'w');
  let chunk = `id,${features.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    const base = train[Math.floor(next() * train.length)];
    const cells = features.map((_, c) => Number((Number(base[c]) * (0.95 + 0.1 * next())).toPrecision(4)));
    chunk += `r${i},${cells.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}
