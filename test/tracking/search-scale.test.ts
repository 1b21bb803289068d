import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/index.js';

/**
 * Searches stay in the database at scale: 10,000 runs with params, tags and metrics, searched
 * with filters and ordering the way `mlflow.search_runs` does (1,000 runs per page). The bounds
 * are loose for CI; bench/tracking measures the real figures against `mlflow server`.
 */
const RUNS = 10_000;
let slipway: Slipway;
let home: string;
let experimentId: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-search-scale-'));
  slipway = await openSlipway({ home });
  experimentId = await slipway.tracking.createExperiment({ name: 'scale' });
  const db = slipway.db;
  // Bulk rows straight into the tables (the API path is covered elsewhere); chunks keep each
  // statement under SQLite's bound-parameter limit.
  for (let start = 0; start < RUNS; start += 500) {
    const ids = Array.from({ length: Math.min(500, RUNS - start) }, (_, k) =>
      (start + k).toString(16).padStart(32, '0'),
    );
    await db
      .insertInto('tracking_runs')
      .values(
        ids.map((id, k) => ({
          run_id: id,
          experiment_id: Number(experimentId),
          name: `run-${start + k}`,
          user_id: 'bench',
          status: (start + k) % 3 === 0 ? 'FINISHED' : 'RUNNING',
          start_time: 1_700_000_000_000 + start + k,
          end_time: null,
          artifact_uri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`,
          lifecycle_stage: 'active',
          deleted_time: null,
        })),
      )
      .execute();
    await db
      .insertInto('tracking_params')
      .values(
        ids.flatMap((id, k) => [
          { run_id: id, key: 'model', value: (start + k) % 2 === 0 ? 'mlp' : 'gbdt' },
          { run_id: id, key: 'lr', value: String(((start + k) % 10) / 100) },
        ]),
      )
      .execute();
    await db
      .insertInto('tracking_tags')
      .values(ids.map((id, k) => ({ run_id: id, key: 'team', value: (start + k) % 4 === 0 ? 'a' : 'b' })))
      .execute();
    await db
      .insertInto('tracking_latest_metrics')
      .values(
        ids.flatMap((id, k) => [
          {
            run_id: id,
            key: 'acc',
            step: 10,
            timestamp: 1,
            value: (((start + k) * 7919) % 10_000) / 10_000,
            is_nan: 0,
          },
          { run_id: id, key: 'loss', step: 10, timestamp: 1, value: ((start + k) % 97) / 97, is_nan: 0 },
        ]),
      )
      .execute();
  }
}, 120_000);

afterAll(async () => {
  await slipway.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

describe(`search_runs over ${RUNS} runs`, () => {
  it('filters on metrics, params, tags and attributes, ordered by a metric, in the database', async () => {
    await slipway.tracking.searchRuns({ experimentIds: [experimentId], maxResults: 10 }); // warm
    const filter =
      "metrics.acc > 0.5 and params.model = 'mlp' and tags.team = 'a' and attributes.status != 'KILLED'";
    const { ms, value } = await timed(() =>
      slipway.tracking.searchRuns({
        experimentIds: [experimentId],
        filter,
        orderBy: ['metrics.acc DESC'],
        maxResults: 2000,
      }),
    );
    const expected = Array.from({ length: RUNS }, (_, i) => i).filter(
      (i) => ((i * 7919) % 10_000) / 10_000 > 0.5 && i % 4 === 0,
    );
    expect(value.items).toHaveLength(expected.length);
    const acc = value.items.map((r) => r.metrics.find((m) => m.key === 'acc')!.value);
    expect(acc).toEqual([...acc].sort((a, b) => b - a));
    console.log(`filtered search (${value.items.length} of ${RUNS} runs): ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(2000);
  });

  it('pages through every run, 1,000 at a time, in order', async () => {
    let token: string | null = null;
    let seen = 0;
    let pages = 0;
    const { ms } = await timed(async () => {
      do {
        const page = await slipway.tracking.searchRuns({
          experimentIds: [experimentId],
          maxResults: 1000,
          pageToken: token,
        });
        seen += page.items.length;
        pages++;
        token = page.nextPageToken;
      } while (token);
    });
    expect(seen).toBe(RUNS);
    expect(pages).toBe(10);
    console.log(`all ${RUNS} runs in ${pages} pages: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
  });
});

describe('a page larger than one statement binds', () => {
  it('answers max_results 50,000 (MLflow cap) over 33,000 runs: SQLite binds at most 32,766 values', async () => {
    const big = await slipway.tracking.createExperiment({ name: 'bigger than a statement' });
    const RUNS_BIG = 33_000;
    for (let start = 0; start < RUNS_BIG; start += 1000) {
      const ids = Array.from(
        { length: Math.min(1000, RUNS_BIG - start) },
        (_, k) => `b${(start + k).toString(16).padStart(31, '0')}`,
      );
      await slipway.db
        .insertInto('tracking_runs')
        .values(
          ids.map((id, k) => ({
            run_id: id,
            experiment_id: Number(big),
            name: `big-${start + k}`,
            user_id: 'bench',
            status: 'FINISHED',
            start_time: start + k,
            end_time: null,
            artifact_uri: `mlflow-artifacts:/${big}/${id}/artifacts`,
            lifecycle_stage: 'active',
            deleted_time: null,
          })),
        )
        .execute();
      await slipway.db
        .insertInto('tracking_params')
        .values(ids.map((id, k) => ({ run_id: id, key: 'n', value: String(start + k) })))
        .execute();
    }
    const page = await slipway.tracking.searchRuns({ experimentIds: [big], maxResults: 50_000 });
    expect(page.items).toHaveLength(RUNS_BIG);
    expect(page.nextPageToken).toBeNull();
    expect(page.items[0].params).toEqual({ n: String(RUNS_BIG - 1) });
    expect(page.items.at(-1)?.params).toEqual({ n: '0' });
  }, 60_000);
});
