/**
 * Drift report benchmark: 30 numeric features, 100,000 reference rows, 1,000,000 current rows
 * (seeded, 10 features drifted). Times slipway's detectDrift (default methods: normed
 * Wasserstein, since the reference has > 1,000 rows; and KS for every column), the sorting floor,
 * and in the same run Evidently's DataDriftPreset Report plus the bare scipy calls, when the
 * Python given by SLIPWAY_BENCH_PYTHON (default python3) can import evidently.
 *
 *   npx tsx bench/drift/run.ts
 *   SLIPWAY_BENCH_PYTHON=/path/to/venv/bin/python npx tsx bench/drift/run.ts
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runFloor } from './contenders/floor.js';
import { runSlipway } from './contenders/slipway.js';
import { CURRENT_ROWS, FEATURES, generate, REFERENCE_ROWS } from './data/generate.js';

const t0 = performance.now();
const data = generate();
console.error(
  `generated ${FEATURES} x (${REFERENCE_ROWS} + ${CURRENT_ROWS}) rows in ${(performance.now() - t0).toFixed(0)} ms -> ${data.dir}`,
);

const floor = runFloor(data);
const slipway = runSlipway(data);

const python = process.env.SLIPWAY_BENCH_PYTHON ?? 'python3';
const script = fileURLToPath(new URL('./contenders/evidently_drift.py', import.meta.url));
let evidently: Record<string, unknown>;
try {
  evidently = JSON.parse(execFileSync(python, [script, data.dir], { encoding: 'utf8', maxBuffer: 1 << 26 }));
} catch (err) {
  const e = err as { stdout?: string; message: string };
  evidently = { error: e.stdout?.trim() || e.message };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: [string, string, string][] = [
  [
    'slipway detectDrift, default (normed Wasserstein)',
    s(slipway.byDefault.ms),
    String(slipway.byDefault.drifted),
  ],
  ['slipway detectDrift, KS on every column', s(slipway.ks.ms), String(slipway.ks.drifted)],
  [
    'slipway detectDrift, stored reference profile vs raw window',
    s(slipway.fromProfile.ms),
    String(slipway.fromProfile.drifted),
  ],
  ['floor: copy + sort every column, Float64Array.prototype.sort', s(floor.builtinSortMs), ''],
  ['floor: copy + sort every column, slipway radix sort', s(floor.radixSortMs), ''],
];
if (typeof evidently.evidently_default_ms === 'number') {
  const e = evidently as Record<string, number>;
  rows.push(
    [
      'Evidently Report([DataDriftPreset()]) (normed Wasserstein)',
      s(e.evidently_default_ms),
      String(e.evidently_default_drifted),
    ],
    [
      'Evidently Report([DataDriftPreset(method="ks")])',
      s(e.evidently_ks_ms),
      String(e.evidently_ks_drifted),
    ],
    [
      'scipy only: wasserstein_distance / np.std per column',
      s(e.scipy_wasserstein_ms),
      String(e.scipy_wasserstein_drifted),
    ],
    ['scipy only: ks_2samp per column', s(e.scipy_ks_ms), String(e.scipy_ks_drifted)],
    ['floor: numpy sort every column', s(e.numpy_sort_ms), ''],
  );
}

const table = [
  '| contender | time | drifted columns (of 30) |',
  '|---|---:|---:|',
  ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
].join('\n');
console.log(table);
console.log();
console.log(
  `profileFromColumns: reference (100k rows) ${s(slipway.profileMs)}, current (1M rows) ${s(slipway.currentProfileMs)}`,
);
console.log(
  `node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`python: ${JSON.stringify(evidently.versions ?? evidently.error)}`);
