/**
 * The dashboard API's aggregations against numbers worked out by hand: latency percentiles per
 * bucket (nearest rank), request counters summed over processes, buckets aligned on the step,
 * model paging and search, and its error bodies. A real server on a real store, no browser.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../../src/index.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { fixtureModelPath, tempHome } from '../../helpers/fixtures.js';
import { ManualClock } from './scenario.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0); // on a 10-minute boundary

let home: string;
let slipway: Slipway;
let server: RunningServer;

beforeAll(async () => {
  home = tempHome();
  const clock = new ManualClock(T0);
  slipway = await openSlipway({ home, clock });
  for (const name of ['fraud', 'a_b', 'axb']) {
    await slipway.registry.register({ name, path: fixtureModelPath('breast_cancer_gbdt') });
  }
  // Bucket [T0, T0+10 min): 100 requests taking 1..100 ms; bucket [T0+10, T0+20): 2 taking 3 and 7 ms.
  const log = slipway.monitoring.createPredictionLog({ clock });
  const record = (i: number, at: number, latencyMs: number) => {
    clock.at = at + latencyMs;
    log.record({
      requestId: `r${i}`,
      protocol: 'v2',
      model: 'fraud',
      version: 1,
      deployment: null,
      receivedAt: at,
      latencyMs,
      inputs: { features: { datatype: 'FP32', shape: [1, 30], data: new Float32Array(30) } },
      outputs: { probabilities: { datatype: 'FP32', shape: [1, 2], data: Float32Array.from([0.5, 0.5]) } },
      featureNames: null,
      predictionKey: null,
    });
  };
  for (let i = 0; i < 100; i++) record(i, T0 + i * 5000, 100 - i);
  record(100, T0 + 12 * MINUTE, 7);
  record(101, T0 + 13 * MINUTE, 3);
  await log.close();
  // Counters of two serving processes in the same minutes: the dashboard sums them.
  await slipway.db
    .insertInto('monitoring_traffic')
    .values([
      { process: 'p1', model: 'fraud', version: 1, bucket: T0, requests: 60, errors: 3, client_errors: 1 },
      { process: 'p2', model: 'fraud', version: 1, bucket: T0, requests: 60, errors: 3, client_errors: 0 },
      {
        process: 'p1',
        model: 'fraud',
        version: 1,
        bucket: T0 + 12 * MINUTE,
        requests: 1,
        errors: 0,
        client_errors: 0,
      },
    ])
    .execute();
  clock.at = T0 + 30 * MINUTE;
  server = await startServer(slipway, { port: 0, host: '127.0.0.1', selection: [], monitoring: false });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await slipway?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

interface Traffic {
  step_ms: number;
  t: number[];
  series: {
    label: string;
    requests: number[];
    errors: number[];
    error_rate: (number | null)[];
    p50_ms: (number | null)[];
    p90_ms: (number | null)[];
    p99_ms: (number | null)[];
    rate_per_s: number[];
    summary: { requests: number; errors: number; p50_ms: number; p99_ms: number };
  }[];
}

describe('GET /api/v1/dashboard/traffic', () => {
  it('aggregates per bucket on the server: counters summed over processes, nearest-rank percentiles', async () => {
    const { status, body } = await get<Traffic>(
      `/api/v1/dashboard/traffic?model=fraud:1&from=${T0}&until=${T0 + 30 * MINUTE}&points=3`,
    );
    expect(status).toBe(200);
    expect(body.step_ms).toBe(10 * MINUTE);
    expect(body.t).toEqual([T0, T0 + 10 * MINUTE, T0 + 20 * MINUTE]);
    const [s] = body.series;
    expect(s.label).toBe('fraud:1');
    // 120 counted by the processes (more than the 100 logged: counters see every request).
    expect(s.requests).toEqual([120, 2, 0]);
    expect(s.errors).toEqual([6, 0, 0]);
    expect(s.error_rate).toEqual([0.05, 0, null]);
    expect(s.rate_per_s).toEqual([0.2, Number((2 / 600).toPrecision(4)), 0]);
    expect(s.p50_ms).toEqual([50, 3, null]);
    expect(s.p90_ms).toEqual([90, 7, null]);
    expect(s.p99_ms).toEqual([99, 7, null]);
    // Over the whole range: the buckets' requests, and the 102 latencies ranked together
    // (1..100 ms, 3 and 7 again: rank 51 is 49 ms, rank 101 is 99 ms).
    expect(s.summary.requests).toBe(122);
    expect(s.summary.p50_ms).toBe(49);
    expect(s.summary.p99_ms).toBe(99);
  });

  it('chooses a round bucket width for the range, at most `points` buckets', async () => {
    const week = await get<Traffic>(`/api/v1/dashboard/traffic?model=fraud&since=7d`);
    expect(week.body.step_ms).toBe(30 * MINUTE); // 10,080 minutes / 360 points → 28 → 30 min
    expect(week.body.t.length).toBeLessThanOrEqual(337);
    expect(week.body.t.every((t) => t % week.body.step_ms === 0)).toBe(true);
  });

  it('answers clear errors: unknown model, nothing to show', async () => {
    const unknown = await get<{ code: string; message: string }>('/api/v1/dashboard/traffic?model=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('REGISTRY_MODEL_NOT_FOUND');
    const none = await get<{ code: string; message: string }>('/api/v1/dashboard/traffic');
    expect(none.status).toBe(400);
    expect(none.body.message).toContain('"model or deployment" is required');
  });
});

describe('GET /api/v1/dashboard/models', () => {
  it('pages on the server with the total, and searches names literally', async () => {
    const page = await get<{
      total: number;
      models: { name: string; versions: number; latest_version: number }[];
    }>('/api/v1/dashboard/models?limit=2');
    expect(page.body.total).toBe(3);
    expect(page.body.models.map((m) => m.name)).toEqual(['a_b', 'axb']);
    const next = await get<{ models: { name: string }[] }>('/api/v1/dashboard/models?limit=2&offset=2');
    expect(next.body.models.map((m) => m.name)).toEqual(['fraud']);
    // "_" is a character, not LIKE's wildcard.
    const search = await get<{ total: number; models: { name: string }[] }>('/api/v1/dashboard/models?q=a_b');
    expect(search.body.models.map((m) => m.name)).toEqual(['a_b']);
  });
});

describe('GET /api/v1/dashboard/overview', () => {
  it('counts what the store holds', async () => {
    const { body } = await get<{ counts: { models: number; versions: number; deployments: number } }>(
      '/api/v1/dashboard/overview',
    );
    expect(body.counts).toMatchObject({ models: 3, versions: 3, deployments: 0 });
  });
});
