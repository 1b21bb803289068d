/**
 * Prediction logging at full serving load: the serving benchmark's load (single-row V2 requests,
 * 64 connections, autocannon in this process) against slipway with the prediction log off and on,
 * alternating in one run. For the log, every answered row (warm-up included) is counted against
 * the rows in the store after a graceful shutdown: the goal is zero lost, and throughput within
 * 10% of serving without the log.
 *
 *   npx tsx bench/monitoring/run.ts [--duration 10] [--rounds 2] [--rows 1] [--connections 64]
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
const rounds = Number(flag('rounds', '2'));
const rowsPerRequest = Number(flag('rows', '1'));
const connections = Number(flag('connections', '64'));
const modelPath = path.resolve(
  flag('model', path.join(here, '../../../shared/fixtures/breast_cancer_gbdt/model.onnx')),
);
const sample = JSON.parse(fs.readFileSync(path.join(path.dirname(modelPath), 'sample.json'), 'utf8'));
const rows: number[][] = sample.inputs.features;
const batch = Array.from({ length: rowsPerRequest }, (_, i) => rows[i % rows.length]);
const body = JSON.stringify({
  inputs: [{ name: 'features', datatype: 'FP32', shape: [rowsPerRequest, 30], data: batch.flat() }],
});

interface Final {
  stats: { received: number; written: number; dropped: number; queued: number; writeErrors: number } | null;
  logged: number;
}

interface Run {
  name: string;
  round: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuUsPerRequest: number;
  /** The event loop's share of it (the server's main thread), when /proc tells. */
  mainUsPerRequest: number | null;
  answeredRows: number;
  clientCounted: number;
  final: Final;
}

async function start(mode: string, port: number): Promise<ChildProcess> {
  const child = fork(path.join(here, 'contenders', 'slipway.ts'), [String(port), modelPath, mode], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`contender ${mode} exited with ${code}`)));
  });
  return child;
}

function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (m && typeof m === 'object' && key in m) {
        child.off('message', on);
        resolve((m as Record<string, T>)[key]);
      }
    };
    child.on('message', on);
    if (message) child.send(message);
  });
}

async function stop(child: ChildProcess): Promise<Final> {
  const final = ask<Final>(child, '', 'final');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const f = await final;
  await exited;
  return f;
}

/**
 * CPU clock ticks of a process's main thread (its event loop) from /proc on Linux, else null:
 * `process.cpuUsage` counts every thread, and which thread the log's cost lands on decides what
 * to make cheaper (bench/monitoring measured it mostly on the event loop, in garbage collection).
 */
function mainThreadTicks(pid: number | undefined): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}
/** µs per clock tick (USER_HZ, 100 on Linux). */
const TICK_US = 10_000;

const load = (port: number, seconds: number) =>
  autocannon({
    url: `http://127.0.0.1:${port}/v2/models/m/infer`,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    connections,
    duration: seconds,
  });

async function measure(name: string, mode: string, port: number, round: number): Promise<Run> {
  const child = await start(mode, port);
  const warm = await load(port, 2);
  void warm;
  const before = await ask<NodeJS.CpuUsage>(child, 'cpu', 'cpu');
  const mainBefore = mainThreadTicks(child.pid);
  const r = await load(port, duration);
  const after = await ask<NodeJS.CpuUsage>(child, 'cpu', 'cpu');
  const mainAfter = mainThreadTicks(child.pid);
  // Answered, by the server's own count: autocannon leaves out requests in flight when it stops.
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const served = [...metrics.matchAll(/^slipway_requests_total\{[^}]*status="200"[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const final = await stop(child);
  const cpu = after.user - before.user + (after.system - before.system);
  return {
    name,
    round,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuUsPerRequest: cpu / Math.max(1, r['2xx']),
    mainUsPerRequest:
      mainBefore === null || mainAfter === null
        ? null
        : ((mainAfter - mainBefore) * TICK_US) / Math.max(1, r['2xx']),
    answeredRows: served * rowsPerRequest,
    clientCounted: (warm['2xx'] + r['2xx']) * rowsPerRequest,
    final,
  };
}

const contenders = [
  { name: '(a) serving, prediction log off', mode: 'nolog', port: 18401 },
  { name: '(b) serving, prediction log on', mode: 'log', port: 18402 },
  { name: '(c) prediction log on, feedback in use', mode: 'log+feedback', port: 18403 },
];
const runs: Run[] = [];
for (let round = 1; round <= rounds; round++) {
  // Alternate the order each round, so a drift in the machine's load hits both alike.
  const order = round % 2 === 1 ? contenders : [...contenders].reverse();
  for (const c of order) runs.push(await measure(c.name, c.mode, c.port, round));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `\nmodel: ${path.relative(process.cwd(), modelPath)}; ${rowsPerRequest}-row requests, ${connections} connections; ${duration} s per run after a 2 s warm-up; ${rounds} rounds\n`,
);
console.log(
  '| server | round | req/s | p50 ms | p99 ms | errors | server CPU µs/req | of it, event loop | rows answered | rows logged | dropped | lost |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const logged = r.final.stats ? r.final.logged : null;
  const lost = logged === null ? '' : String(r.answeredRows - logged - (r.final.stats?.dropped ?? 0));
  console.log(
    `| ${r.name} | ${r.round} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${Math.round(r.cpuUsPerRequest)} | ${r.mainUsPerRequest === null ? '–' : r.mainUsPerRequest.toFixed(1)} | ${r.answeredRows} | ${logged ?? '–'} | ${r.final.stats?.dropped ?? '–'} | ${lost} |`,
  );
}
const on = runs.filter((r) => r.final.stats !== null);
const of = (name: string) => runs.filter((r) => r.name === name);
const rps = (name: string) => median(of(name).map((r) => r.rps));
const cpu = (name: string) => median(of(name).map((r) => r.cpuUsPerRequest));
const main = (name: string) => median(of(name).map((r) => r.mainUsPerRequest ?? Number.NaN));
const [a, b, c] = contenders.map((x) => x.name);
console.log(
  `\nmedian req/s: (a) ${Math.round(rps(a))}, (b) ${Math.round(rps(b))}, (c) ${Math.round(rps(c))}; b/a = ${(rps(b) / rps(a)).toFixed(3)}, c/a = ${(rps(c) / rps(a)).toFixed(3)} (goal ≥ 0.90)` +
    `\nmedian server CPU µs/request: (a) ${cpu(a).toFixed(1)}, (b) ${cpu(b).toFixed(1)}, (c) ${cpu(c).toFixed(1)}` +
    `; of it on the event loop: (a) ${main(a).toFixed(1)}, (b) ${main(b).toFixed(1)}, (c) ${main(c).toFixed(1)}`,
);
const lostTotal = on.reduce((n, r) => n + (r.answeredRows - r.final.logged), 0);
const droppedTotal = on.reduce((n, r) => n + (r.final.stats?.dropped ?? 0), 0);
console.log(
  `rows answered − rows logged, over all runs with the log = ${lostTotal} (dropped by policy: ${droppedTotal}; goal 0)`,
);
