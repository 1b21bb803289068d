/**
 * Where slipway's time goes for one `runs/search` page, without the Python client:
 *
 *   npx tsx bench/tracking/profile-search.ts [--runs 10000] [--repeat 15]
 *
 * Populates `--runs` runs the way load.py does (create_run + one log_batch of 2 metrics, 2 params,
 * 1 tag) through the library, mounts the MLflow tracking plugin on loopback, and reports medians of:
 * the store's search (query + hydration), the response encoding, and the whole HTTP exchange
 * (a raw `node:http` client reading the body's bytes, no JSON parsing) for the same bodies the
 * Python client sends. Run under `node --cpu-prof` (via `NODE_OPTIONS`) to see the functions.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { openSlipway } from '../../src/index.js';
import { mlflowTrackingPlugin } from '../../src/server/protocols/mlflow-tracking.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const RUNS = Number(arg('runs', '10000'));
const REPEAT = Number(arg('repeat', '15'));
const FILTER = "metrics.acc > 0.5 and params.model = 'mlp'";

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-search-'));
const slipway = await openSlipway({ home });
const t = slipway.tracking;
const exp = await t.createExperiment({ name: 'profile' });
const now = Date.now();
const started = performance.now();
for (let i = 0; i < RUNS; i++) {
  const run = await t.createRun({ experimentId: exp, runName: `run-${i}` });
  await t.logBatch(run.info.runId, {
    metrics: [
      { key: 'acc', value: ((i * 7919) % 10_000) / 10_000, timestamp: now, step: 0 },
      { key: 'loss', value: (i % 97) / 97, timestamp: now, step: 0 },
    ],
    params: [
      { key: 'model', value: i % 2 === 0 ? 'mlp' : 'gbdt' },
      { key: 'lr', value: String((i % 10) / 100) },
    ],
    tags: [{ key: 'team', value: i % 4 === 0 ? 'a' : 'b' }],
  });
}
process.stderr.write(`populated ${RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
await app.register(mlflowTrackingPlugin, { slipway });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (!address || typeof address === 'string') throw new Error('no port');
const port = address.port;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// What MlflowClient.search_runs sends (message_to_json of its SearchRuns message, see load.py).
const searchBody = (maxResults: number, filter = '', orderBy: string[] = []) => ({
  experiment_ids: [exp],
  run_view_type: 'ACTIVE_ONLY',
  filter,
  max_results: maxResults,
  ...(orderBy.length > 0 ? { order_by: orderBy } : {}),
});
const bodies = {
  best_10_filtered: searchBody(10, FILTER, ['metrics.acc DESC']),
  first_page_1000: searchBody(1000),
  filtered_ordered_page_1000: searchBody(1000, FILTER, ['metrics.acc DESC']),
};

function post(body: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/2.0/mlflow/runs/search',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
}

const report: Record<string, Record<string, number>> = {};
for (const [name, body] of Object.entries(bodies) as [string, ReturnType<typeof searchBody>][]) {
  const text = JSON.stringify(body);
  const options = {
    experimentIds: body.experiment_ids,
    filter: body.filter,
    maxResults: body.max_results,
    orderBy: body.order_by ?? [],
  };
  for (let i = 0; i < 3; i++) await post(text); // warm up
  const inProcess = await median(() => t.searchRuns(options));
  const { bytes } = await post(text);
  const httpMs = await median(() => post(text));
  report[name] = { in_process_search_ms: inProcess, http_ms: httpMs, response_bytes: bytes };
}
console.log(JSON.stringify({ runs: RUNS, repeat: REPEAT, report }, null, 1));

agent.destroy();
await app.close();
await slipway.close();
fs.rmSync(home, { recursive: true, force: true });
