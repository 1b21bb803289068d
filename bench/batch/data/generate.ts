/**
 * Seeded bench data for batch prediction: `rows` rows of the 30 breast-cancer features, each a
 * training row (../shared/fixtures/datasets/breast_cancer_train.csv) plus Gaussian noise of a tenth
 * of the column's standard deviation, printed with 6 significant digits the way measurements are.
 * The GBDT then sees realistic values and takes realistic paths through its trees.
 *
 *   npx tsx bench/batch/data/generate.ts 1000000   # writes bench/batch/data/rows-1000000.csv
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TRAIN_CSV = path.resolve(process.cwd(), '../shared/fixtures/datasets/breast_cancer_train.csv');

/** xorshift32 + Box–Muller: simple to read, good enough for a benchmark. */
function sources(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function readTrain(): { header: string[]; rows: number[][] } {
  const lines = fs.readFileSync(TRAIN_CSV, 'utf8').trim().split('\n');
  const header = lines[0].split(',').slice(0, -1); // drop `target`
  const rows = lines.slice(1).map((l) => l.split(',').slice(0, -1).map(Number));
  return { header, rows };
}

/** The path of the `rows`-row file, generated once (deterministic: same seed, same bytes). */
export function csvPath(rows: number): string {
  return path.join(DATA_DIR, `rows-${rows}.csv`);
}

export function generate(rows: number, seed = 42): string {
  const file = csvPath(rows);
  if (fs.existsSync(file)) return file;
  const { header, rows: train } = readTrain();
  const width = header.length;
  const sd = header.map((_, c) => {
    const mean = train.reduce((a, r) => a + r[c], 0) / train.length;
    return Math.sqrt(train.reduce((a, r) => a + (r[c] - mean) ** 2, 0) / train.length);
  });
  const { uniform, normal } = sources(seed);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, `${header.join(',')}\n`);
  const out = Buffer.allocUnsafe(1 << 22);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    const base = train[Math.floor(uniform() * train.length)];
    for (let c = 0; c < width; c++) {
      at = writeSignificant(out, at, Math.abs(base[c] + 0.1 * sd[c] * normal()));
      out[at++] = c === width - 1 ? 10 : 44;
    }
    if (at > out.length - 4096) {
      fs.writeSync(fd, out, 0, at);
      at = 0;
    }
  }
  fs.writeSync(fd, out, 0, at);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return file;
}

const POW10 = Array.from({ length: 40 }, (_, i) => 10 ** (i - 20));

/** `v` (positive) with 6 significant digits, trailing zeros dropped, as Python's `%.6g` (no exponents). */
function writeSignificant(out: Buffer, at: number, v: number): number {
  if (v === 0 || v < 1e-6) {
    out[at++] = 48;
    return at;
  }
  let e = Math.floor(Math.log10(v));
  let m = Math.round(v / POW10[e - 5 + 20]);
  if (m >= 1_000_000) {
    e++;
    m = Math.round(v / POW10[e - 5 + 20]);
  }
  let k = e - 5; // v ≈ m × 10^k, m has 6 digits
  while (k < 0 && m % 10 === 0) {
    m /= 10;
    k++;
  }
  const digits = String(m);
  if (k >= 0) {
    at += out.write(digits, at, 'latin1');
    for (let i = 0; i < k; i++) out[at++] = 48;
    return at;
  }
  const point = digits.length + k;
  if (point <= 0) {
    at += out.write(`0.${'0'.repeat(-point)}${digits}`, at, 'latin1');
  } else {
    at += out.write(`${digits.slice(0, point)}.${digits.slice(point)}`, at, 'latin1');
  }
  return at;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const t0 = performance.now();
  const file = generate(rows);
  console.log(`${file} (${rows} rows, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
