/**
 * Seeded bench data: a 100,000-row reference and a 1,000,000-row current window, 30 numeric
 * features each. Features 0-9 drift in the current window (mean +0.2 sd for 0-4, spread x1.3 for
 * 5-9); 10-29 do not. Columns are written as raw little-endian float64, one file per table,
 * column-major (30 blocks of `rows` values), so numpy reads them with np.fromfile.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FEATURES = 30;
export const REFERENCE_ROWS = 100_000;
export const CURRENT_ROWS = 1_000_000;

export interface BenchData {
  readonly dir: string;
  readonly reference: Record<string, Float64Array>;
  readonly current: Record<string, Float64Array>;
}

/** xorshift32 + Box–Muller: simple to read, good enough for a benchmark. */
function normalSource(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function table(rows: number, seed: number, drift: boolean): Record<string, Float64Array> {
  const normal = normalSource(seed);
  const out: Record<string, Float64Array> = {};
  for (let f = 0; f < FEATURES; f++) {
    const mean = f * 3;
    const sd = 1 + (f % 7);
    const shift = drift && f < 5 ? 0.2 * sd : 0;
    const scale = drift && f >= 5 && f < 10 ? 1.3 : 1;
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = mean + shift + sd * scale * normal();
    // Rounded to 4 decimals like real measurements: ties appear, as they do in practice.
    for (let i = 0; i < rows; i++) col[i] = Math.round(col[i] * 1e4) / 1e4;
    out[`f${String(f).padStart(2, '0')}`] = col;
  }
  return out;
}

function write(file: string, columns: Record<string, Float64Array>): void {
  const names = Object.keys(columns);
  const rows = columns[names[0]].length;
  const all = new Float64Array(rows * names.length);
  names.forEach((n, i) => all.set(columns[n], i * rows));
  writeFileSync(file, new Uint8Array(all.buffer));
}

/** Generate (deterministically) and write the data; returns it with the directory it is in. */
export function generate(dir = process.env.SLIPWAY_BENCH_DATA ?? path.join(os.tmpdir(), 'slipway-bench-drift')): BenchData {
  mkdirSync(dir, { recursive: true });
  const reference = table(REFERENCE_ROWS, 20240611, false);
  const current = table(CURRENT_ROWS, 977, true);
  write(path.join(dir, 'reference.f64'), reference);
  write(path.join(dir, 'current.f64'), current);
  writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({ features: Object.keys(reference), reference_rows: REFERENCE_ROWS, current_rows: CURRENT_ROWS }),
  );
  return { dir, reference, current };
}
