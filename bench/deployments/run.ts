/**
 * Deployments benchmark: what routing through a deployment costs on the request path, and what a
 * revision switch costs under load. One slipway server (a child process, `server.ts`) serves a
 * model `m` and deployments in front of it; autocannon in this process sends single-row V2
 * requests at 64 connections to:
 *   (a) the model by name (the anchor: no deployment), (b) a single-version deployment,
 *   (c) a canary (10%), (d) a sticky A/B test (key header), (e) a shadow (every request copied).
 * Targets take turns in rounds so a noisy neighbour hits them alike; tables give medians and the
 * server's CPU per request. Then: `flip` under 64 connections while the runner rolls it back and
 * forth every 250 ms — failed requests and how long each switch took to be in force.
 *
 *   npx tsx bench/deployments/run.ts [--duration 5] [--rounds 3]
 */
import { fork } from 'node:child_process';
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
const fixtures = path.join(here, '../../../shared/fixtures');
const gbdt = path.join(fixtures, 'breast_cancer_gbdt/model.onnx');
const mlp = path.join(fixtures, 'breast_cancer_mlp/model.onnx');
const row = Array.from({ length: 30 }, (_, i) => (i % 7) + 0.5);
const body = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: row }] });
const port = 18401;

const child = fork(path.join(here, 'server.ts'), [String(port), gbdt, mlp], {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, SLIPWAY_LOG_LEVEL: 'warn' },
});
await new Promise<void>((resolve, reject) => {
  child.once('message', () => resolve());
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const ask = <T>(message: unknown, pick: (m: unknown) => T | undefined): Promise<T> =>
  new Promise((resolve) => {
    const on = (m: unknown) => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', on);
      resolve(v);
    };
    child.on('message', on);
    child.send(message as never);
  });
const cpu = () => ask('cpu', (m) => (m as { cpu?: NodeJS.CpuUsage }).cpu).then((c) => c.user + c.system);

let user = 0;
async function measure(name: string, seconds: number) {
  const before = await cpu();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/v2/models/${name}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 64,
    duration: seconds,
    // Distinct A/B keys per request (ignored by the other targets).
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-user': `u${user++}` } }) }],
  });
  const after = await cpu();
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.errors + r.timeouts + r.non2xx,
    cpu: (after - before) / Math.max(1, r.requests.total),
  };
}

const targets = [
  ['(a) model m, no deployment', 'm'],
  ['(b) deployment, single', 'single'],
  ['(c) deployment, canary 10%', 'canary'],
  ['(d) deployment, A/B by header', 'ab'],
  ['(e) deployment, shadow', 'shadow'],
] as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [, name] of targets) await measure(name, 2); // warm-up
  const runs = new Map<string, Awaited<ReturnType<typeof measure>>[]>(targets.map(([label]) => [label, []]));
  for (let r = 0; r < rounds; r++)
    for (const [label, name] of targets) runs.get(label)!.push(await measure(name, duration));
  console.log(`single-row V2 requests, 64 connections, ${rounds} rounds × ${duration} s (medians)\n`);
  console.log(
    '| target | req/s | p50 ms | p99 ms | server CPU µs/request | failed |\n|---|---|---|---|---|---|',
  );
  for (const [label, rs] of runs) {
    console.log(
      `| ${label} | ${Math.round(median(rs.map((x) => x.rps)))} | ${median(rs.map((x) => x.p50))} | ${median(rs.map((x) => x.p99))} | ` +
        `${median(rs.map((x) => x.cpu)).toFixed(1)} | ${rs.reduce((s, x) => s + x.failures, 0)} |`,
    );
  }

  // How much of the shadow's copy stream was compared, and how much the bounded queue dropped.
  await new Promise((r) => setTimeout(r, 1500));
  const status = (await (await fetch(`http://127.0.0.1:${port}/api/v1/deployments/shadow`)).json()) as {
    targets: {
      role: string;
      traffic: {
        requests: number;
        shadow: { compared: number; dropped: number; agreement_rate: number } | null;
      }[];
    }[];
  };
  const primary = status.targets
    .find((t) => t.role === 'primary')!
    .traffic.reduce((n, t) => n + t.requests, 0);
  const sh = status.targets.find((t) => t.role === 'shadow')!.traffic[0]?.shadow;
  if (sh) {
    console.log(
      `
shadow: ${primary} primary answers; ${sh.compared} copies compared (${((100 * sh.compared) / primary).toFixed(1)}%), ` +
        `${sh.dropped} dropped by the bounded queue; agreement ${(100 * sh.agreement_rate).toFixed(1)}%`,
    );
  }

  // Switches under load: roll `flip` back and forth every 250 ms during one run.
  const switches: number[] = [];
  let running = true;
  const flipping = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 250));
      if (!running) break;
      switches.push(await ask({ change: 'rollback' }, (m) => (m as { ms?: number }).ms));
    }
  })();
  const flip = await measure('flip', duration * 2);
  running = false;
  await flipping;
  console.log(
    `\nrevision switches under 64 connections: ${switches.length} rollbacks in ${duration * 2} s; ` +
      `${Math.round(flip.rps)} req/s, p99 ${flip.p99} ms, ${flip.failures} failed requests; ` +
      `rollback call until in force on the server: median ${median(switches).toFixed(1)} ms, max ${Math.max(...switches).toFixed(1)} ms`,
  );
} finally {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
