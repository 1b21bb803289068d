/**
 * The RegistryStore contract, as a shared case suite (Hono's `common.case.test.ts`): every backend's
 * test file calls `runRegistryStoreContract` with a factory, so SQLite and PostgreSQL are held to
 * the same text — the TSDoc on `src/store/registry-store.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/core/errors.js';
import type { DatasetLineage, NewVersion, RegistryStore } from '../../../src/store/registry-store.js';

export interface RegistryStoreHarness {
  store: RegistryStore;
  /** Row count of every table the backend holds, to prove a failed write left nothing behind. */
  countRows(): Promise<Record<string, number>>;
  cleanup(): Promise<void>;
}

export interface RegistryStoreContractOptions {
  name: string;
  /** A fresh, empty store. */
  create(): Promise<RegistryStoreHarness>;
  /** Case names to skip, each with the reason (a gap on purpose, never a silent one). */
  skip?: Record<string, string>;
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

export function newVersion(modelName: string, overrides: Partial<NewVersion> = {}): NewVersion {
  return {
    modelName,
    createModel: true,
    description: null,
    createdAt: 1_700_000_000_000,
    modelSha256: SHA_A,
    manifestSha256: SHA_B,
    sourceFormat: 'onnx',
    sourcePath: '/models/model.onnx',
    status: 'READY',
    statusMessage: null,
    signature: {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 30], dimNames: ['batch', null] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    },
    lineage: { modelFileSha256: SHA_A },
    metadata: { featureNames: ['a', 'b'] },
    runId: null,
    tags: {},
    datasets: [],
    aliases: [],
    ...overrides,
  };
}

function dataset(overrides: Partial<DatasetLineage> = {}): DatasetLineage {
  return {
    path: '/data/train.csv',
    sha256: 'c'.repeat(64),
    rows: 398,
    columns: ['x', 'y', 'target'],
    role: 'training',
    target: 'target',
    ...overrides,
  };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'SlipwayError', code });
}

export function runRegistryStoreContract(options: RegistryStoreContractOptions): void {
  describe(`RegistryStore contract: ${options.name}`, () => {
    let h: RegistryStoreHarness;
    let store: RegistryStore;

    beforeEach(async () => {
      h = await options.create();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const skip = options.skip ?? {};
    const test = (name: string, fn: () => Promise<void>) =>
      name in skip ? it.skip(`${name} (skipped: ${skip[name]})`, fn) : it(name, fn);

    test('version numbers are monotonic per model and independent across models', async () => {
      const numbers: string[] = [];
      for (const name of ['a', 'b', 'a', 'a', 'b']) {
        const v = await store.insertVersion(newVersion(name));
        numbers.push(`${v.name}:${v.version}`);
      }
      expect(numbers).toEqual(['a:1', 'b:1', 'a:2', 'a:3', 'b:2']);
      expect((await store.getModel('a'))?.latestVersion).toBe(3);
    });

    test('a deleted latest version number is never handed out again', async () => {
      for (let i = 0; i < 3; i++) await store.insertVersion(newVersion('m'));
      await store.deleteVersion('m', 3);
      expect((await store.latestVersion('m'))?.version).toBe(2);
      expect((await store.insertVersion(newVersion('m'))).version).toBe(4);
      await store.deleteVersion('m', 4);
      await store.deleteVersion('m', 2);
      expect((await store.insertVersion(newVersion('m'))).version).toBe(5);
      expect((await store.listVersions('m')).map((v) => v.version)).toEqual([1, 5]);
      expect((await store.getModel('m'))?.latestVersion).toBe(5);
    });

    test('a version round-trips every field', async () => {
      const input = newVersion('m', {
        description: 'first',
        createdAt: 1_700_000_000_123,
        sourceFormat: 'mlflow',
        status: 'NOT_SERVABLE',
        statusMessage: 'not servable: flavor sklearn',
        runId: 'run-1',
        tags: { team: 'fraud', stage: 'dev' },
        datasets: [dataset()],
        aliases: ['champion'],
      });
      const v = await store.insertVersion(input);
      const read = await store.getVersion('m', 1);
      expect(read).toEqual(v);
      expect(read).toMatchObject({
        name: 'm',
        version: 1,
        description: 'first',
        createdAt: input.createdAt,
        modelSha256: input.modelSha256,
        manifestSha256: input.manifestSha256,
        sourceFormat: 'mlflow',
        sourcePath: input.sourcePath,
        status: 'NOT_SERVABLE',
        statusMessage: input.statusMessage,
        signature: input.signature,
        lineage: input.lineage,
        metadata: input.metadata,
        runId: 'run-1',
        tags: input.tags,
        datasets: input.datasets,
        aliases: ['champion'],
      });
      expect(await store.getVersion('m', 2)).toBeNull();
      expect(await store.getVersion('nope', 1)).toBeNull();
    });

    test('insertVersion without createModel needs the model', async () => {
      const before = await h.countRows();
      await expectCode(
        store.insertVersion(newVersion('ghost', { createModel: false })),
        'REGISTRY_MODEL_NOT_FOUND',
      );
      expect(await h.countRows()).toEqual(before);
    });

    test('insertVersion is atomic: a failure late in the transaction leaves no row anywhere', async () => {
      await store.insertVersion(newVersion('kept', { tags: { k: 'v' }, aliases: ['champion'] }));
      const before = await h.countRows();
      const changesBefore = await store.changesSince(0);
      // A dataset without a path violates NOT NULL after the model, the version and its tags
      // have been written inside the transaction.
      const broken = dataset({ path: null as unknown as string });
      await expect(
        store.insertVersion(newVersion('fresh', { tags: { k: 'v' }, datasets: [broken] })),
      ).rejects.toThrow();
      await expect(
        store.insertVersion(newVersion('kept', { tags: { k: 'v' }, aliases: ['x'], datasets: [broken] })),
      ).rejects.toThrow();
      // A tag without a value fails on the first child row, after the version row.
      await expect(
        store.insertVersion(newVersion('kept', { tags: { k: null as unknown as string } })),
      ).rejects.toThrow();
      expect(await h.countRows()).toEqual(before);
      expect(await store.changesSince(0)).toEqual(changesBefore);
      expect(await store.getModel('fresh')).toBeNull();
      expect((await store.getModel('kept'))?.latestVersion).toBe(1);
      // The failed inserts consumed no version number.
      expect((await store.insertVersion(newVersion('kept'))).version).toBe(2);
    });

    test('aliases move atomically from one version to the next', async () => {
      await store.insertVersion(newVersion('m', { aliases: ['champion'] }));
      await store.insertVersion(newVersion('m'));
      expect(await store.getAlias('m', 'champion')).toBe(1);
      await store.setAlias('m', 'champion', 2);
      expect(await store.getAlias('m', 'champion')).toBe(2);
      expect((await store.getModel('m'))?.aliases).toEqual({ champion: 2 });
      expect((await store.getVersion('m', 1))?.aliases).toEqual([]);
      expect((await store.getVersion('m', 2))?.aliases).toEqual(['champion']);
      await store.setAlias('m', 'challenger', 1);
      expect((await store.getModel('m'))?.aliases).toEqual({ challenger: 1, champion: 2 });
    });

    test('setAlias to a missing version or model throws and moves nothing', async () => {
      await store.insertVersion(newVersion('m', { aliases: ['champion'] }));
      const before = await h.countRows();
      await expectCode(store.setAlias('m', 'champion', 7), 'REGISTRY_VERSION_NOT_FOUND');
      await expectCode(store.setAlias('ghost', 'champion', 1), 'REGISTRY_MODEL_NOT_FOUND');
      expect(await store.getAlias('m', 'champion')).toBe(1);
      expect(await h.countRows()).toEqual(before);
    });

    test('getAlias is null for an unknown alias or model', async () => {
      await store.insertVersion(newVersion('m'));
      expect(await store.getAlias('m', 'champion')).toBeNull();
      expect(await store.getAlias('ghost', 'champion')).toBeNull();
    });

    test('deleteAlias returns false for an unknown alias and true once for a known one', async () => {
      await store.insertVersion(newVersion('m', { aliases: ['champion'] }));
      expect(await store.deleteAlias('m', 'nope')).toBe(false);
      expect(await store.deleteAlias('m', 'champion')).toBe(true);
      expect(await store.getAlias('m', 'champion')).toBeNull();
      expect(await store.deleteAlias('m', 'champion')).toBe(false);
      await expectCode(store.deleteAlias('ghost', 'champion'), 'REGISTRY_MODEL_NOT_FOUND');
    });

    test('tags upsert: setting a key again replaces its value', async () => {
      await store.insertVersion(newVersion('m', { tags: { stage: 'dev' } }));
      await store.setModelTag('m', 'owner', 'ana');
      await store.setModelTag('m', 'owner', 'bo');
      await store.setModelTag('m', 'team', 'fraud');
      expect((await store.getModel('m'))?.tags).toEqual({ owner: 'bo', team: 'fraud' });
      await store.deleteModelTag('m', 'team');
      expect((await store.getModel('m'))?.tags).toEqual({ owner: 'bo' });

      await store.setVersionTag('m', 1, 'stage', 'prod');
      await store.setVersionTag('m', 1, 'reviewed', 'yes');
      expect((await store.getVersion('m', 1))?.tags).toEqual({ stage: 'prod', reviewed: 'yes' });
      await store.deleteVersionTag('m', 1, 'reviewed');
      expect((await store.getVersion('m', 1))?.tags).toEqual({ stage: 'prod' });

      await expectCode(store.setModelTag('ghost', 'k', 'v'), 'REGISTRY_MODEL_NOT_FOUND');
      await expectCode(store.setVersionTag('m', 9, 'k', 'v'), 'REGISTRY_VERSION_NOT_FOUND');
    });

    test('createModel refuses a duplicate name with REGISTRY_MODEL_EXISTS', async () => {
      await store.createModel({ name: 'm', description: 'd', tags: { a: '1' } });
      const before = await h.countRows();
      await expectCode(store.createModel({ name: 'm' }), 'REGISTRY_MODEL_EXISTS');
      expect(await h.countRows()).toEqual(before);
      expect(await store.getModel('m')).toMatchObject({
        description: 'd',
        tags: { a: '1' },
        latestVersion: 0,
      });
      // createModel on insertVersion means "create when missing", not "must be new".
      expect((await store.insertVersion(newVersion('m', { createModel: true }))).version).toBe(1);
    });

    test('rename moves versions, aliases, tags and datasets, and keeps the numbering', async () => {
      await store.insertVersion(
        newVersion('old', { tags: { t: '1' }, aliases: ['champion'], datasets: [dataset()] }),
      );
      await store.insertVersion(newVersion('old', { aliases: ['challenger'] }));
      await store.setModelTag('old', 'owner', 'ana');
      await store.createModel({ name: 'taken' });
      await expectCode(store.renameModel('old', 'taken'), 'REGISTRY_MODEL_EXISTS');
      await expectCode(store.renameModel('ghost', 'new'), 'REGISTRY_MODEL_NOT_FOUND');

      const before = await store.listVersions('old');
      const renamed = await store.renameModel('old', 'new');
      expect(renamed).toMatchObject({
        name: 'new',
        latestVersion: 2,
        tags: { owner: 'ana' },
        aliases: { champion: 1, challenger: 2 },
      });
      expect(await store.getModel('old')).toBeNull();
      expect(await store.listVersions('old')).toEqual([]);
      expect(await store.getAlias('old', 'champion')).toBeNull();
      const after = await store.listVersions('new');
      expect(after).toEqual(before.map((v) => ({ ...v, name: 'new' })));
      expect(after[0]).toMatchObject({ tags: { t: '1' }, datasets: [dataset()] });
      expect((await store.insertVersion(newVersion('new'))).version).toBe(3);
      // The old name is free again, and starts over.
      expect((await store.insertVersion(newVersion('old'))).version).toBe(1);
    });

    test('deleteModel removes the model and everything hanging off it', async () => {
      const empty = await h.countRows();
      await store.insertVersion(newVersion('m', { tags: { a: 'b' }, aliases: ['champion'] }));
      await store.setModelTag('m', 'owner', 'ana');
      await store.deleteModel('m');
      expect(await store.getModel('m')).toBeNull();
      expect(await store.listVersions('m')).toEqual([]);
      const after = await h.countRows();
      for (const [table, n] of Object.entries(after)) {
        // The change log keeps history; datasets are shared by sha256 and outlive versions.
        if (table === 'change_log' || table === 'datasets') continue;
        expect({ table, n }).toEqual({ table, n: empty[table] });
      }
      await expectCode(store.deleteModel('m'), 'REGISTRY_MODEL_NOT_FOUND');
      await expectCode(store.deleteVersion('m', 1), 'REGISTRY_VERSION_NOT_FOUND');
    });

    test('descriptions update; unknown targets throw NOT_FOUND', async () => {
      await store.insertVersion(newVersion('m'));
      expect((await store.updateModel('m', { description: 'hello' })).description).toBe('hello');
      expect((await store.updateVersion('m', 1, { description: 'v1' })).description).toBe('v1');
      expect((await store.updateVersion('m', 1, {})).description).toBe('v1');
      await expectCode(store.updateModel('ghost', { description: 'x' }), 'REGISTRY_MODEL_NOT_FOUND');
      await expectCode(store.updateVersion('m', 2, { description: 'x' }), 'REGISTRY_VERSION_NOT_FOUND');
      await expectCode(store.updateVersion('m', 2, {}), 'REGISTRY_VERSION_NOT_FOUND');
    });

    test('a dataset shared by versions is stored once', async () => {
      const before = await h.countRows();
      await store.insertVersion(newVersion('a', { datasets: [dataset()] }));
      await store.insertVersion(newVersion('b', { datasets: [dataset()] }));
      const after = await h.countRows();
      expect(after.datasets - before.datasets).toBe(1);
      expect(after.version_datasets - before.version_datasets).toBe(2);
      expect((await store.getVersion('b', 1))?.datasets).toEqual([dataset()]);
    });

    test('changesSince returns registrations and alias moves, in order, after an id', async () => {
      await store.insertVersion(newVersion('m'));
      await store.insertVersion(newVersion('m', { aliases: ['champion'] }));
      const mark = (await store.changesSince(0)).at(-1)!.id;
      await store.setAlias('m', 'champion', 1);
      await store.insertVersion(newVersion('m'));
      await store.deleteAlias('m', 'champion');
      await store.deleteAlias('m', 'champion');

      const all = await store.changesSince(0);
      const ids = all.map((c) => c.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      expect(all.map((c) => `${c.topic} ${c.subject}`)).toEqual([
        'model m',
        'version m:1',
        'version m:2',
        'alias m@champion',
        'alias m@champion',
        'version m:3',
        'alias m@champion',
      ]);
      const later = await store.changesSince(mark);
      expect(later.map((c) => `${c.topic} ${c.subject}`)).toEqual([
        'alias m@champion',
        'version m:3',
        'alias m@champion',
      ]);
      expect(await store.changesSince(all.at(-1)!.id)).toEqual([]);
    });

    test('lists are ordered: models by name, versions by number, all versions newest first', async () => {
      for (const [name, at] of [
        ['beta', 3],
        ['alpha', 1],
        ['gamma', 2],
        ['beta', 5],
        ['alpha', 4],
      ] as const) {
        await store.insertVersion(newVersion(name, { createdAt: 1_700_000_000_000 + at }));
      }
      expect((await store.listModels()).map((m) => m.name)).toEqual(['alpha', 'beta', 'gamma']);
      expect((await store.listModels({ limit: 2 })).map((m) => m.name)).toEqual(['alpha', 'beta']);
      expect((await store.listModels({ limit: 2, offset: 1 })).map((m) => m.name)).toEqual(['beta', 'gamma']);
      expect((await store.listVersions('beta')).map((v) => v.version)).toEqual([1, 2]);
      expect((await store.listAllVersions()).map((v) => `${v.name}:${v.version}`)).toEqual([
        'beta:2',
        'alpha:2',
        'beta:1',
        'gamma:1',
        'alpha:1',
      ]);
      expect((await store.listAllVersions({ limit: 1 })).map((v) => `${v.name}:${v.version}`)).toEqual([
        'beta:2',
      ]);
    });

    test('versions created in the same millisecond list newest number first', async () => {
      for (let i = 0; i < 3; i++) await store.insertVersion(newVersion('m', { createdAt: 5 }));
      expect((await store.listAllVersions()).map((v) => v.version)).toEqual([3, 2, 1]);
    });

    test('nameContains is a case-insensitive substring; "_" and "%" are literal', async () => {
      for (const name of ['fraud_model', 'fraudXmodel', 'Churn-Model', 'p100%', 'p1000']) {
        await store.createModel({ name });
      }
      // Sorted here: how mixed case and punctuation order is the database's collation, not the contract.
      const find = async (q: string) =>
        (await store.listModels({ nameContains: q })).map((m) => m.name).sort();
      expect(await find('model')).toEqual(['Churn-Model', 'fraudXmodel', 'fraud_model']);
      expect(await find('D_M')).toEqual(['fraud_model']);
      expect(await find('0%')).toEqual(['p100%']);
      expect(await find('zzz')).toEqual([]);
    });
  });
}
