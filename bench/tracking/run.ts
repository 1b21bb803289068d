/**
 * bench/tracking: the `mlflow` Python client as the load, against slipway and against
 * `mlflow server` (SQLite backend), one after the other in one run, on this machine.
 *
 *   npx tsx bench/tracking/run.ts [--runs 10000] [--only slipway|mlflow]
 *
 * Measures log_batch throughput (1,000 metrics per call) and search_runs latency over `--runs`
 * runs, through the client and as raw HTTP without it (see load.py). Prints a markdown table for
 * README.md and writes the raw figures to bench/tracking/data/latest.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureVenvWith } from '../../test/interop/python-env.js';
import type { Contender } from './contenders/contender.js';
import { mlflowServer } from './contenders/mlflow-server.js';
import { slipway } from './contenders/slipway.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// The anchor and the load share one venv: full `mlflow` (server) brings the same client.
// SQLAlchemy 2.1 dropped a pool class mlflow 3.6 imports: pin the last 2.0.
const PINS = ['mlflow==3.6.0', 'sqlalchemy==2.0.58'];

interface LoadResult {
  mlflow_version: string;
  runs: number;
  log_batch: { batches: number; metrics_per_second: number; median_ms_per_batch: number };
  populate_seconds: number;
  search_ms: {
    best_10_filtered: number;
    first_page_1000: number;
    filtered_ordered_page_1000: number;
    all_runs_as_pandas: number;
  };
  /** The same searches as raw HTTP (the client's request bodies, the response read, not parsed). */
  server_ms: {
    log_batch: number;
    best_10_filtered: number;
    first_page_1000: number;
    filtered_ordered_page_1000: number;
    all_runs_pages: number;
  };
  response_bytes: Record<string, number>;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '10000'));
  const only = arg('only', '');
  const python = await ensureVenvWith('mlflow-server', PINS);
  const contenders: Contender[] = [slipway, mlflowServer(path.join(path.dirname(python), 'mlflow'))].filter(
    (c) => !only || c.name.startsWith(only),
  );
  const results: Record<string, LoadResult> = {};
  for (const c of contenders) {
    process.stderr.write(`== ${c.name}\n`);
    const server = await c.start();
    try {
      const out = path.join(os.tmpdir(), `bench-tracking-${process.pid}-${c.name.split(' ')[0]}.json`);
      await run(python, [path.join(HERE, 'load.py'), server.url, String(runs), out]);
      results[c.name] = JSON.parse(fs.readFileSync(out, 'utf8'));
    } finally {
      await server.stop();
    }
  }
  fs.mkdirSync(path.join(HERE, 'data'), { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
  fs.writeFileSync(
    path.join(HERE, 'data', 'latest.json'),
    JSON.stringify({ date: new Date().toISOString(), machine, runs, results }, null, 1),
  );
  console.log(table(results, runs, machine));
}

function table(results: Record<string, LoadResult>, runs: number, machine: string): string {
  const names = Object.keys(results);
  // log_batch and each search twice: through the client (end to end), then as raw HTTP (server).
  const rows: [string, (r: LoadResult) => number, 'higher' | 'lower'][] = [
    ['log_batch, metrics/s (1,000 per call)', (r) => r.log_batch.metrics_per_second, 'higher'],
    ['log_batch, median ms per call, client', (r) => r.log_batch.median_ms_per_batch, 'lower'],
    ['… same, server (raw HTTP), median ms', (r) => r.server_ms.log_batch, 'lower'],
    [
      `search_runs 10 best of a filter over ${runs} runs, client, median ms`,
      (r) => r.search_ms.best_10_filtered,
      'lower',
    ],
    ['… same, server (raw HTTP), median ms', (r) => r.server_ms.best_10_filtered, 'lower'],
    [
      `search_runs first page of 1,000 (of ${runs}), client, median ms`,
      (r) => r.search_ms.first_page_1000,
      'lower',
    ],
    ['… same, server (raw HTTP), median ms', (r) => r.server_ms.first_page_1000, 'lower'],
    [
      'search_runs filtered + ordered page of 1,000, client, median ms',
      (r) => r.search_ms.filtered_ordered_page_1000,
      'lower',
    ],
    ['… same, server (raw HTTP), median ms', (r) => r.server_ms.filtered_ordered_page_1000, 'lower'],
    [
      `mlflow.search_runs all ${runs} as pandas, client, median ms`,
      (r) => r.search_ms.all_runs_as_pandas,
      'lower',
    ],
    ['… same pages, server (raw HTTP), median ms', (r) => r.server_ms.all_runs_pages, 'lower'],
    [`populate ${runs} runs (8 client threads), s`, (r) => r.populate_seconds, 'lower'],
  ];
  const ratio = names.length === 2;
  const head = `| measure | ${names.join(' | ')} |${ratio ? ' slipway advantage |' : ''}`;
  const sep = `|---|${names.map(() => '---:').join('|')}|${ratio ? '---:|' : ''}`;
  const body = rows.map(([label, get, better]) => {
    const values = names.map((n) => get(results[n]));
    const adv = ratio ? (better === 'higher' ? values[0] / values[1] : values[1] / values[0]) : 0;
    return `| ${label} | ${values.map((v) => v.toLocaleString('en-US')).join(' | ')} |${ratio ? ` ${adv.toFixed(1)}× |` : ''}`;
  });
  const client = results[names[0]]?.mlflow_version ?? '?';
  return [
    `Machine: ${machine}; client mlflow ${client}; ${new Date().toISOString().slice(0, 10)}`,
    '',
    head,
    sep,
    ...body,
  ].join('\n');
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

await main();
