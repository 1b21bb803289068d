/**
 * Serving benchmark: single-row V2 requests at 64 connections (autocannon, from this process)
 * against three servers, each a child process:
 *   (a) slipway, (b) a bare node:http floor that parses and answers the same JSON with no model,
 *   (c) onnxruntime called inline in the request handler.
 * Contenders take turns in rounds (a, b, c, a, b, c, ...) so a noisy neighbour hits them alike;
 * the tables give medians over rounds, and server CPU per request, which noise moves least.
 * Then rows/s for 1,000-row requests against (a) and (c).
 *
 *   npx tsx bench/serving/run.ts [--duration 5] [--rounds 3] [--model <fixture model.onnx>] [--diagnose]
 *
 * --diagnose adds (d) bare fastify and (e) slipway's fast lane, both with no model.
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
const duration = Number(flag('duration', '5'));
const rounds = Number(flag('rounds', '3'));
const modelPath = path.resolve(
  flag('model', path.join(here, '../../../shared/fixtures/breast_cancer_gbdt/model.onnx')),
);
const sample = JSON.parse(fs.readFileSync(path.join(path.dirname(modelPath), 'sample.json'), 'utf8'));
const rows: number[][] = sample.inputs.features;

const oneRow = JSON.stringify({
  inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: rows[0] }],
});
const thousand = Array.from({ length: 1000 }, (_, i) => rows[i % rows.length]);
const bigBody = JSON.stringify({
  inputs: [{ name: 'features', datatype: 'FP32', shape: [1000, 30], data: thousand.flat() }],
});

interface Contender {
  name: string;
  file: string;
  port: number;
  child?: ChildProcess;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  cpuUsPerRequest: number;
}

async function start(c: Contender): Promise<void> {
  const child = fork(path.join(here, 'contenders', c.file), [String(c.port), modelPath], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${c.file} exited with ${code}`)));
  });
  c.child = child;
}

async function stop(c: Contender): Promise<void> {
  if (!c.child) return;
  const exited = new Promise((r) => c.child!.once('exit', r));
  c.child.kill('SIGTERM');
  await exited;
}

function cpu(c: Contender): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      const usage = (m as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!usage) return;
      c.child!.off('message', onMessage);
      resolve(usage.user + usage.system);
    };
    c.child!.on('message', onMessage);
    c.child!.send('cpu');
  });
}

async function measure(c: Contender, body: string, connections: number, seconds: number): Promise<Run> {
  const url = `http://127.0.0.1:${c.port}/v2/models/m/infer`;
  const opts = {
    url,
    method: 'POST' as const,
    body,
    headers: { 'content-type': 'application/json' },
    connections,
  };
  const before = await cpu(c);
  const r = await autocannon({ ...opts, duration: seconds });
  const after = await cpu(c);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.errors + r.timeouts + r.non2xx,
    cpuUsPerRequest: (after - before) / Math.max(1, r.requests.total),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function compare(list: Contender[], body: string, connections: number): Promise<Map<string, Run[]>> {
  const runs = new Map<string, Run[]>(list.map((c) => [c.name, []]));
  for (const c of list) {
    await start(c);
    // Warm-up, not recorded: JIT, connection setup, first batches.
    await measure(c, body, connections, 2);
  }
  try {
    for (let r = 0; r < rounds; r++) {
      for (const c of list) runs.get(c.name)!.push(await measure(c, body, connections, duration));
    }
  } finally {
    for (const c of list) await stop(c);
  }
  return runs;
}

function summary(runs: Run[]) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpu: median(runs.map((r) => r.cpuUsPerRequest)),
    failures: runs.reduce((s, r) => s + r.failures, 0),
  };
}

const contenders: Contender[] = [
  { name: '(a) slipway', file: 'slipway.ts', port: 18301 },
  { name: '(b) bare node:http floor', file: 'bare-http.ts', port: 18302 },
  { name: '(c) inline onnxruntime', file: 'inline-onnxruntime.ts', port: 18303 },
];
// Diagnostic only (not goal anchors): what fastify alone costs, and what slipway's own transport
// (the fast lane) costs with no model behind it.
if (args.includes('--diagnose')) {
  contenders.push({ name: '(d) bare fastify, no model', file: 'bare-fastify.ts', port: 18304 });
  contenders.push({ name: '(e) bare fast lane, no model', file: 'bare-lane.ts', port: 18305 });
}

console.log(
  `model ${path.relative(process.cwd(), modelPath)}; ${rounds} rounds × ${duration} s per contender, after a 2 s warm-up`,
);
const single = await compare(contenders, oneRow, 64);
console.log('\nsingle-row requests, 64 connections (medians over rounds)\n');
console.log(
  '| server | req/s | p50 ms | p99 ms | server CPU µs/request | failed |\n|---|---|---|---|---|---|',
);
const s = new Map([...single].map(([k, v]) => [k, summary(v)]));
for (const [name, x] of s)
  console.log(
    `| ${name} | ${Math.round(x.rps)} | ${x.p50} | ${x.p99} | ${x.cpu.toFixed(1)} | ${x.failures} |`,
  );
const a = s.get(contenders[0].name)!;
const b = s.get(contenders[1].name)!;
const c = s.get(contenders[2].name)!;
console.log(
  `\na/b throughput ${(a.rps / b.rps).toFixed(2)} (goal ≥ 0.8) · a/c ${(a.rps / c.rps).toFixed(2)} (goal ≥ 2) · ` +
    `a p99 ${a.p99} ms (goal ≤ 15) · CPU per request a/b ${(a.cpu / b.cpu).toFixed(2)}`,
);

const big = await compare([contenders[0], contenders[2]], bigBody, 8);
console.log('\n1,000-row requests, 8 connections (medians over rounds)\n');
console.log('| server | req/s | rows/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|---|');
for (const [name, runs] of big) {
  const x = summary(runs);
  console.log(
    `| ${name} | ${x.rps.toFixed(1)} | ${Math.round(x.rps * 1000)} | ${x.p50} | ${x.p99} | ${x.failures} |`,
  );
}
