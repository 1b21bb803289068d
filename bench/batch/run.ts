/**
 * Batch prediction benchmark (issue 4), one command, every contender side by side in the same run,
 * each in a child process of its own (so its peak resident memory is its own):
 *
 * - floors: merely parsing the 1M-row × 30-float CSV into the Float32Array batches a model takes,
 *   with slipway's reader, DuckDB's node API and csv-parse;
 * - slipway predict (CSV in, CSV out, the fixture GBDT) with the default workers (cores − 1),
 *   with one worker per core, and inline (`--workers 0`);
 * - the usual Python script (pandas.read_csv, onnxruntime, DataFrame.to_csv);
 * - peak RSS of slipway predict at 100k, 1M and 10M rows, default workers and inline (bounded memory:
 *   within 20%);
 * - Parquet: reading 30 float columns and writing prediction columns, hyparquet vs DuckDB, and
 *   slipway predict Parquet in, Parquet out.
 *
 * Rounds are interleaved (every contender once, then again) and the best round is kept, because
 * this machine is shared: the load average is printed beside the figures.
 *
 *   npx tsx bench/batch/run.ts            # full (generates the 10M-row file once, ~2.7 GB)
 *   npx tsx bench/batch/run.ts --quick    # no 10M-row run, one round
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, generate } from './data/generate.js';

interface Measured {
  rows: number;
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
}

const quick = process.argv.includes('--quick');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 2;
const here = path.dirname(fileURLToPath(import.meta.url));
const python = process.env.SLIPWAY_BENCH_PYTHON ?? 'python3';
const model = path.resolve(process.cwd(), '../shared/fixtures/breast_cancer_gbdt/model.onnx');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-out-'));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const loadBefore = load();
const t0 = performance.now();
const csv1m = generate(1_000_000);
const csv100k = generate(100_000);
const csv10m = quick ? null : generate(10_000_000);
const features = fs.readFileSync(csv1m, 'latin1').slice(0, 4096).split('\n')[0].split(',');
const parquet1m = path.join(DATA_DIR, 'rows-1000000.parquet');
if (!fs.existsSync(parquet1m)) child('tsx', [path.join(here, 'data/to-parquet.ts'), csv1m, parquet1m]);
console.error(`data ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${loadBefore})`);

function child(kind: 'tsx' | 'python', args: string[]): Measured {
  const command = kind === 'tsx' ? process.execPath : python;
  const argv = kind === 'tsx' ? ['--import', 'tsx', ...args] : args;
  // OPENBLAS_* pins an old kernel that slows numpy (/work/.library/env/README.md); unset for the anchor only.
  const env = { ...process.env };
  if (kind === 'python') {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const text = execFileSync(command, argv, {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = text.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

type Contender = { name: string; group: string; run: () => Measured };
const predict = (input: string, output: string, workers?: number) => () =>
  child('tsx', [
    path.join(here, 'contenders/slipway-predict.ts'),
    input,
    output,
    ...(workers === undefined ? [] : [String(workers)]),
  ]);
const contenders: Contender[] = [
  {
    group: 'parse',
    name: 'slipway CSV reader (parse only)',
    run: () => child('tsx', [path.join(here, 'contenders/parse-child.ts'), 'slipway', csv1m]),
  },
  {
    group: 'parse',
    name: 'DuckDB read_csv, 2 threads (parse only)',
    run: () => child('tsx', [path.join(here, 'contenders/parse-child.ts'), 'duckdb', csv1m]),
  },
  {
    group: 'parse',
    name: 'csv-parse + Number (parse only)',
    run: () => child('tsx', [path.join(here, 'contenders/parse-child.ts'), 'csv-parse', csv1m]),
  },
  {
    group: 'predict',
    name: `slipway predict, ${Math.max(1, os.availableParallelism() - 1)} worker(s) (default: cores − 1)`,
    run: predict(csv1m, path.join(out, 'p.csv')),
  },
  {
    group: 'predict',
    name: `slipway predict, ${os.availableParallelism()} workers (one per core)`,
    run: predict(csv1m, path.join(out, 'p2.csv'), os.availableParallelism()),
  },
  {
    group: 'predict',
    name: 'slipway predict, inline (--workers 0)',
    run: predict(csv1m, path.join(out, 'p0.csv'), 0),
  },
  {
    group: 'predict',
    name: 'Python: pandas.read_csv + onnxruntime + to_csv',
    run: () =>
      child('python', [
        path.join(here, 'contenders/python_predict.py'),
        model,
        csv1m,
        path.join(out, 'py.csv'),
        features.join(','),
      ]),
  },
  {
    group: 'parquet',
    name: 'read Parquet: hyparquet (slipway reader)',
    run: () => child('tsx', [path.join(here, 'contenders/parquet-child.ts'), 'read-slipway', parquet1m]),
  },
  {
    group: 'parquet',
    name: 'read Parquet: DuckDB read_parquet',
    run: () => child('tsx', [path.join(here, 'contenders/parquet-child.ts'), 'read-duckdb', parquet1m]),
  },
  {
    group: 'parquet',
    name: 'write Parquet: hyparquet-writer (slipway writer)',
    run: () =>
      child('tsx', [
        path.join(here, 'contenders/parquet-child.ts'),
        'write-slipway',
        path.join(out, 'w.parquet'),
        '1000000',
      ]),
  },
  {
    group: 'parquet',
    name: 'write Parquet: DuckDB appender + COPY',
    run: () =>
      child('tsx', [
        path.join(here, 'contenders/parquet-child.ts'),
        'write-duckdb',
        path.join(out, 'w2.parquet'),
        '1000000',
      ]),
  },
  {
    group: 'parquet',
    name: 'slipway predict, Parquet in, Parquet out',
    run: predict(parquet1m, path.join(out, 'p.parquet')),
  },
];

const results = new Map<string, Measured[]>();
for (let round = 0; round < rounds; round++) {
  for (const c of contenders) {
    const m = c.run();
    results.set(c.name, [...(results.get(c.name) ?? []), m]);
    console.error(
      `round ${round + 1}: ${c.name}: ${rate(m)} rows/s (${(m.wallMs / 1000).toFixed(2)} s, load ${load()})`,
    );
  }
}
const best = (name: string) => results.get(name)!.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));

const memory: [string, string, Measured][] = [];
for (const [mode, workers] of [
  ['default', undefined],
  ['inline', 0],
] as const) {
  for (const [label, file] of [
    ['100k', csv100k],
    ['1M', csv1m],
    ['10M', csv10m],
  ] as const) {
    if (file === null) continue;
    const m = predict(file, path.join(out, `m-${label}.csv`), workers)();
    memory.push([mode, label, m]);
    console.error(
      `memory ${mode} ${label}: ${(m.maxRssBytes / 2 ** 20).toFixed(0)} MB peak, ${rate(m)} rows/s`,
    );
  }
}
fs.rmSync(out, { recursive: true, force: true });

function rate(m: Measured): string {
  return Math.round((m.rows / m.wallMs) * 1000).toLocaleString('en-US');
}
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const lines: string[] = [];
lines.push(
  `batch prediction benchmark: ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, node ${process.versions.node}`,
);
lines.push(`load average before ${loadBefore}, after ${load()}; best of ${rounds} round(s)`);
lines.push('');
lines.push('| contender (1,000,000 rows × 30 floats, fixture GBDT) | rows/s | wall s | CPU s | peak RSS |');
lines.push('|---|---:|---:|---:|---:|');
for (const c of contenders) {
  const m = best(c.name);
  lines.push(
    `| ${c.name} | ${rate(m)} | ${(m.wallMs / 1000).toFixed(2)} | ${(m.cpuMs / 1000).toFixed(2)} | ${mb(m.maxRssBytes)} |`,
  );
}
const slip = best(contenders[3].name);
const py = best(contenders[6].name);
const parseRates = contenders.filter((c) => c.group === 'parse').map((c) => best(c.name));
const fastest = parseRates.reduce((a, b) => (b.rows / b.wallMs > a.rows / a.wallMs ? b : a));
lines.push('');
lines.push(
  `slipway predict / Python script: ${(slip.rows / slip.wallMs / (py.rows / py.wallMs)).toFixed(2)}× (goal ≥ 1.5×)`,
);
lines.push(
  `slipway predict / fastest parse-only rate: ${(slip.rows / slip.wallMs / (fastest.rows / fastest.wallMs)).toFixed(2)}× (goal ≥ 0.5×)`,
);
const predictRuns = contenders
  .filter((c) => c.group === 'predict' && !c.name.startsWith('Python'))
  .map((c) => [c.name, best(c.name)] as const);
const [bestName, bestRun] = predictRuns.reduce((a, b) => (b[1].wallMs < a[1].wallMs ? b : a));
lines.push(
  `best slipway configuration (${bestName}) / fastest parse-only rate: ${(bestRun.rows / bestRun.wallMs / (fastest.rows / fastest.wallMs)).toFixed(2)}×`,
);
lines.push('');
lines.push('| slipway predict | rows | peak RSS | rows/s |');
lines.push('|---|---:|---:|---:|');
for (const [mode, label, m] of memory)
  lines.push(`| ${mode} | ${label} | ${mb(m.maxRssBytes)} | ${rate(m)} |`);
for (const mode of ['default', 'inline']) {
  const runs = memory.filter((r) => r[0] === mode);
  if (runs.length === 3) {
    const ratio = (a: number, b: number) => (runs[a][2].maxRssBytes / runs[b][2].maxRssBytes).toFixed(2);
    lines.push(`${mode}: peak RSS 10M / 100k = ${ratio(2, 0)} (goal ≤ 1.20), 10M / 1M = ${ratio(2, 1)}`);
  }
}
console.log(lines.join('\n'));
