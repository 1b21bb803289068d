/**
 * Serving benchmark: single-row V2 requests at 64 connections (autocannon, from this process)
 * against three servers started one after another as child processes:
 *   (a) slipway, (b) a bare node:http floor that parses and answers the same JSON with no model,
 *   (c) onnxruntime called inline in the request handler.
 * Then rows/s for 1,000-row requests against (a) and (c).
 *
 *   npx tsx bench/serving/run.ts [--duration 10] [--model ../shared/fixtures/breast_cancer_gbdt/model.onnx]
 */
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const duration = Number(flag('duration', '10'));
const modelPath = path.resolve(flag('model', path.join(here, '../../../shared/fixtures/breast_cancer_gbdt/model.onnx')));
const sample = JSON.parse(fs.readFileSync(path.join(path.dirname(modelPath), 'sample.json'), 'utf8'));
const rows: number[][] = sample.inputs.features;

const oneRow = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: rows[0] }] });
const thousand = Array.from({ length: 1000 }, (_, i) => rows[i % rows.length]);
const bigBody = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1000, 30], data: thousand.flat() }] });

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function start(file: string, port: number): Promise<ChildProcess> {
  const child = fork(path.join(here, 'contenders', file), [String(port), modelPath], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function load(name: string, port: number, body: string, connections: number, seconds: number): Promise<Result> {
  const url = port === 0 ? '' : `http://127.0.0.1:${port}/v2/models/m/infer`;
  // Warm-up, not recorded: JIT, connection setup, first batches.
  await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: 2 });
  const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: seconds });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

const contenders = [
  { name: '(a) slipway', file: 'slipway.ts', port: 18301 },
  { name: '(b) bare node:http floor', file: 'bare-http.ts', port: 18302 },
  { name: '(c) inline onnxruntime', file: 'inline-onnxruntime.ts', port: 18303 },
];
// Diagnostic only (not a goal anchor): where the gap between (a) and (b) goes.
if (args.includes('--diagnose')) contenders.push({ name: '(d) bare fastify, no model', file: 'bare-fastify.ts', port: 18304 });

const single: Result[] = [];
for (const c of contenders) {
  const child = await start(c.file, c.port);
  try {
    single.push(await load(c.name, c.port, oneRow, 64, duration));
  } finally {
    await stop(child);
  }
}
const big: Result[] = [];
if (!args.includes('--skip-big')) for (const c of [contenders[0], contenders[2]]) {
  const child = await start(c.file, c.port);
  try {
    big.push(await load(c.name, c.port, bigBody, 8, duration));
  } finally {
    await stop(child);
  }
}

const [a, b, c] = single;
const line = (r: Result) =>
  `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`;
console.log(`\nmodel: ${path.relative(process.cwd(), modelPath)}; ${duration} s per run after a 2 s warm-up\n`);
console.log('single-row requests, 64 connections\n');
console.log('| server | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|');
for (const r of single) console.log(line(r));
console.log(`\na/b = ${(a.rps / b.rps).toFixed(2)} (goal ≥ 0.8), a/c = ${(a.rps / c.rps).toFixed(2)} (goal ≥ 2), a p99 = ${a.p99} ms (goal ≤ 15)\n`);
console.log('1,000-row requests, 8 connections\n');
console.log('| server | req/s | rows/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|');
for (const r of big) console.log(`| ${r.name} | ${r.rps.toFixed(1)} | ${Math.round(r.rps * 1000)} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`);
