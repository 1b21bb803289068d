/**
 * The TrackingStore contract as a shared case suite: each backend's test calls
 * `runTrackingStoreContract` with a factory, and is held to the TSDoc on
 * `src/store/tracking-store.ts` (atomic batches, latest-metric rule, search semantics, paging).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricRecord, SearchClause, TrackingStore } from '../../src/store/tracking-store.js';

export interface TrackingStoreHarness {
  store: TrackingStore;
  cleanup(): Promise<void>;
}

export interface TrackingStoreContractOptions {
  name: string;
  create(): Promise<TrackingStoreHarness>;
  /** Case names to skip, each with its reason. */
  skip?: Record<string, string>;
}

let seq = 0;
function runId(): string {
  seq += 1;
  return seq.toString(16).padStart(32, '0');
}

export function runTrackingStoreContract(options: TrackingStoreContractOptions): void {
  describe(`TrackingStore contract: ${options.name}`, () => {
    let h: TrackingStoreHarness;
    let store: TrackingStore;
    beforeEach(async () => {
      h = await options.create();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });
    const test = (name: string, fn: () => Promise<void>) =>
      options.skip?.[name] ? it.skip(`${name} (${options.skip[name]})`, fn) : it(name, fn);

    async function newRun(experimentId = '0', name = 'r', startTime = 1000): Promise<string> {
      const id = runId();
      await store.createRun({
        runId: id,
        experimentId,
        name,
        userId: 'u',
        startTime,
        artifactUri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`,
        tags: { 'mlflow.runName': name },
      });
      return id;
    }
    const metric = (key: string, value: number, step = 0, timestamp = 1): MetricRecord => ({
      key,
      value,
      step,
      timestamp,
    });
    const batch = (b: {
      metrics?: MetricRecord[];
      params?: Record<string, string>;
      tags?: Record<string, string>;
    }) => ({
      metrics: b.metrics ?? [],
      params: b.params ?? {},
      tags: b.tags ?? {},
      experimentId: '0',
    });

    test('experiment 0 named Default exists from the start', async () => {
      const e = await store.getExperiment('0');
      expect(e).toMatchObject({
        experimentId: '0',
        name: 'Default',
        lifecycleStage: 'active',
        artifactLocation: 'mlflow-artifacts:/0',
      });
    });

    test('experiment names are unique; ids are decimal strings; the artifact location follows the id', async () => {
      const id = await store.createExperiment({
        name: 'a',
        artifactLocation: null,
        tags: { k: 'v' },
        createdAt: 5,
      });
      expect(id).toMatch(/^\d+$/);
      expect(await store.getExperimentByName('a')).toMatchObject({
        experimentId: id,
        artifactLocation: `mlflow-artifacts:/${id}`,
        tags: { k: 'v' },
      });
      await expect(
        store.createExperiment({ name: 'a', artifactLocation: null, tags: {}, createdAt: 6 }),
      ).rejects.toMatchObject({
        code: 'TRACKING_EXPERIMENT_EXISTS',
      });
      expect(await store.getExperiment('999')).toBeNull();
      expect(await store.getExperiment('not-a-number')).toBeNull();
    });

    test('a batch is one transaction: a changed param fails it whole, metrics included', async () => {
      const id = await newRun();
      await store.logBatch(id, batch({ params: { a: '1' } }));
      await expect(
        store.logBatch(
          id,
          batch({ params: { a: '2', b: '3' }, metrics: [metric('m', 1)], tags: { t: 'x' } }),
        ),
      ).rejects.toMatchObject({ code: 'TRACKING_PARAM_CHANGED' });
      const run = (await store.getRun(id))!;
      expect(run.params).toEqual({ a: '1' });
      expect(run.metrics).toEqual([]);
      expect(run.tags.t).toBeUndefined();
      await store.logBatch(id, batch({ params: { a: '1' } })); // the same value again is fine
    });

    test('the latest metric is the greatest (step, timestamp, value); history keeps every point once', async () => {
      const id = await newRun();
      await store.logBatch(
        id,
        batch({ metrics: [metric('m', 5, 2, 10), metric('m', 9, 1, 99), metric('m', 5, 2, 10)] }),
      );
      await store.logBatch(id, batch({ metrics: [metric('m', 1, 2, 9)] }));
      expect((await store.getRun(id))!.metrics).toEqual([
        expect.objectContaining({ key: 'm', value: 5, step: 2, timestamp: 10 }),
      ]);
      await store.logBatch(id, batch({ metrics: [metric('m', 7, 2, 10)] }));
      expect((await store.getRun(id))!.metrics[0].value).toBe(7);
      const history = await store.metricHistory(id, 'm', { offset: 0, limit: 100 });
      // Ordered by timestamp, then step, then value, as MLflow's get_metric_history.
      expect(history.map((m) => m.value)).toEqual([1, 5, 7, 9]);
    });

    test('NaN and infinities survive a round trip', async () => {
      const id = await newRun();
      await store.logBatch(
        id,
        batch({
          metrics: [
            metric('nan', Number.NaN),
            metric('inf', Number.POSITIVE_INFINITY),
            metric('ninf', Number.NEGATIVE_INFINITY),
          ],
        }),
      );
      const byKey = Object.fromEntries((await store.getRun(id))!.metrics.map((m) => [m.key, m.value]));
      expect(byKey.nan).toBeNaN();
      expect(byKey.inf).toBe(Number.POSITIVE_INFINITY);
      expect(byKey.ninf).toBe(Number.NEGATIVE_INFINITY);
    });

    describe('search', () => {
      let ids: string[];
      beforeEach(async () => {
        ids = [];
        for (let i = 0; i < 6; i++) {
          const id = await newRun('0', i % 2 === 0 ? `Even-${i}` : `odd-${i}`, 1000 + i);
          ids.push(id);
          const metrics = i === 5 ? [] : [metric('score', i === 4 ? Number.NaN : i / 10)];
          await store.logBatch(
            id,
            batch({ metrics, params: { kind: i % 2 === 0 ? 'even' : 'odd' }, tags: { t: `v${i}` } }),
          );
        }
        await store.updateRun(ids[0], { status: 'FINISHED' });
        await store.logInputs(
          ids[1],
          '0',
          [
            {
              dataset: {
                name: 'iris',
                digest: 'abc',
                sourceType: 'local',
                source: '{}',
                schema: null,
                profile: null,
              },
              tags: { 'mlflow.data.context': 'training' },
            },
          ],
          [],
        );
      });
      const search = async (
        clauses: SearchClause[],
        orderBy: { kind: 'metric' | 'param' | 'tag' | 'attribute'; key: string; ascending: boolean }[] = [],
        offset = 0,
        limit = 100,
      ) =>
        (
          await store.searchRuns({
            experimentIds: ['0'],
            stages: ['active'],
            clauses,
            orderBy,
            offset,
            limit,
          })
        ).map((r) => r.info.runName);

      test('filters AND together; a run without the key is excluded', async () => {
        expect(
          await search([
            { kind: 'metric', key: 'score', op: '>', value: 0.15 },
            { kind: 'param', key: 'kind', op: '=', value: 'even' },
          ]),
        ).toEqual(['Even-2']);
        expect(await search([{ kind: 'param', key: 'kind', op: '!=', value: 'even' }])).toEqual([
          'odd-5',
          'odd-3',
          'odd-1',
        ]);
        expect(await search([{ kind: 'attribute', key: 'status', op: '=', value: 'FINISHED' }])).toEqual([
          'Even-0',
        ]);
        expect(await search([{ kind: 'attribute', key: 'start_time', op: '>=', value: 1004 }])).toEqual([
          'odd-5',
          'Even-4',
        ]);
        expect(await search([{ kind: 'tag', key: 't', op: 'IN', value: ['v1', 'v2'] }])).toEqual([
          'Even-2',
          'odd-1',
        ]);
        expect(await search([{ kind: 'dataset', key: 'context', op: '=', value: 'training' }])).toEqual([
          'odd-1',
        ]);
        expect(await search([{ kind: 'dataset', key: 'name', op: '=', value: 'iris' }])).toEqual(['odd-1']);
      });

      test('LIKE is case-sensitive and ILIKE is not', async () => {
        expect(await search([{ kind: 'attribute', key: 'run_name', op: 'LIKE', value: 'even%' }])).toEqual(
          [],
        );
        expect(await search([{ kind: 'attribute', key: 'run_name', op: 'LIKE', value: 'Even-_' }])).toEqual([
          'Even-4',
          'Even-2',
          'Even-0',
        ]);
        expect(await search([{ kind: 'attribute', key: 'run_name', op: 'ILIKE', value: 'even%' }])).toEqual([
          'Even-4',
          'Even-2',
          'Even-0',
        ]);
      });

      test('ordering puts NaN and missing metrics last in both directions; ties go to start_time DESC', async () => {
        expect(await search([], [{ kind: 'metric', key: 'score', ascending: true }])).toEqual([
          'Even-0',
          'odd-1',
          'Even-2',
          'odd-3',
          'Even-4',
          'odd-5',
        ]);
        expect(await search([], [{ kind: 'metric', key: 'score', ascending: false }])).toEqual([
          'odd-3',
          'Even-2',
          'odd-1',
          'Even-0',
          'Even-4',
          'odd-5',
        ]);
        expect(await search([], [{ kind: 'param', key: 'kind', ascending: true }])).toEqual([
          'Even-4',
          'Even-2',
          'Even-0',
          'odd-5',
          'odd-3',
          'odd-1',
        ]);
      });

      test('pages by offset after ordering', async () => {
        const all = await search([]);
        const pages = [await search([], [], 0, 4), await search([], [], 4, 4)];
        expect(pages.flat()).toEqual(all);
        expect(pages[1]).toHaveLength(2);
      });

      test('deleted runs only show in their view', async () => {
        await store.updateRun(ids[5], { lifecycleStage: 'deleted', deletedTime: 1 });
        expect(await search([])).not.toContain('odd-5');
        const deleted = await store.searchRuns({
          experimentIds: ['0'],
          stages: ['deleted'],
          clauses: [],
          orderBy: [],
          offset: 0,
          limit: 10,
        });
        expect(deleted.map((r) => r.info.runName)).toEqual(['odd-5']);
      });
    });

    test('the artifact index lists a directory by range and deletes a subtree', async () => {
      for (const p of [
        '1/r/artifacts/a.txt',
        '1/r/artifacts/sub/b.txt',
        '1/r/artifacts0',
        '1/r/artifactsX/c',
      ]) {
        await store.putArtifactEntry({ path: p, sha256: 'f'.repeat(64), size: 1, updatedAt: 1 });
      }
      expect((await store.listArtifactEntries('1/r/artifacts')).map((e) => e.path)).toEqual([
        '1/r/artifacts/a.txt',
        '1/r/artifacts/sub/b.txt',
      ]);
      expect(await store.deleteArtifactEntries('1/r/artifacts/sub')).toBe(1);
      expect((await store.listArtifactEntries('')).map((e) => e.path)).toEqual([
        '1/r/artifacts/a.txt',
        '1/r/artifacts0',
        '1/r/artifactsX/c',
      ]);
    });
  });
}
