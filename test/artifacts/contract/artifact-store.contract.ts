/**
 * The ArtifactStore contract (the TSDoc on `src/artifacts/artifact-store.ts`) as a shared case
 * suite: the filesystem store runs it now, an S3 store against a loopback server later.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../src/artifacts/artifact-store.js';
import type { ErrorCode } from '../../../src/core/errors.js';

export interface ArtifactStoreHarness {
  store: ArtifactStore;
  /** Changes one byte of a stored artifact at rest, behind the store's back. */
  corrupt(digest: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ArtifactStoreContractOptions {
  name: string;
  create(): Promise<ArtifactStoreHarness>;
  /** Case names to skip, each with the reason. */
  skip?: Record<string, string>;
}

/** The largest real fixture (6 MB), so putFile has to stream. */
export const BIG_FIXTURE = path.resolve(
  process.cwd(),
  '../shared/fixtures/image_mobilenet_v3_small/model.onnx',
);

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'SlipwayError', code });
}

async function listAll(store: ArtifactStore): Promise<string[]> {
  const out: string[] = [];
  for await (const d of store.list()) out.push(d);
  return out.sort();
}

export function runArtifactStoreContract(options: ArtifactStoreContractOptions): void {
  describe(`ArtifactStore contract: ${options.name}`, () => {
    let h: ArtifactStoreHarness;
    let store: ArtifactStore;
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

    test('put returns the sha256 of the bytes and get gives them back', async () => {
      const bytes = randomBytes(300_000);
      const digest = await store.put(bytes);
      expect(digest).toBe(sha256(bytes));
      expect(await store.has(digest)).toBe(true);
      expect(Buffer.from(await store.get(digest)).equals(bytes)).toBe(true);
      const local = await store.localPath(digest);
      expect(sha256(fs.readFileSync(local))).toBe(digest);
    });

    test('empty bytes are an artifact like any other', async () => {
      const digest = await store.put(new Uint8Array(0));
      expect(digest).toBe(sha256(new Uint8Array(0)));
      expect((await store.get(digest)).length).toBe(0);
    });

    test('the same bytes put twice, or at once, are stored once', async () => {
      const bytes = Buffer.from('the same bytes');
      const first = await store.put(bytes);
      const again = await Promise.all([store.put(bytes), store.put(Buffer.from(bytes)), store.put(bytes)]);
      expect(again).toEqual([first, first, first]);
      expect(await listAll(store)).toEqual([first]);
    });

    test('putFile streams a 6 MB model and gives the sha256 of the file', async () => {
      const expected = sha256(fs.readFileSync(BIG_FIXTURE));
      const digest = await store.putFile(BIG_FIXTURE);
      expect(digest).toBe(expected);
      expect(sha256(await store.get(digest))).toBe(expected);
      // putFile and put agree on identity: the same bytes again add nothing.
      expect(await store.put(fs.readFileSync(BIG_FIXTURE))).toBe(expected);
      expect(await listAll(store)).toEqual([expected]);
    });

    test('putFile of a missing file throws ARTIFACTS_FILE_NOT_FOUND and stores nothing', async () => {
      const missing = path.join(os.tmpdir(), `slipway-missing-${randomBytes(6).toString('hex')}.onnx`);
      await expectCode(store.putFile(missing), 'ARTIFACTS_FILE_NOT_FOUND');
      expect(await listAll(store)).toEqual([]);
    });

    test('get of an unknown digest throws ARTIFACTS_NOT_FOUND', async () => {
      const unknown = sha256(Buffer.from('never stored'));
      expect(await store.has(unknown)).toBe(false);
      await expectCode(store.get(unknown), 'ARTIFACTS_NOT_FOUND');
      await expectCode(store.localPath(unknown), 'ARTIFACTS_NOT_FOUND');
    });

    test('bytes changed at rest throw ARTIFACTS_CORRUPT instead of being returned', async () => {
      const digest = await store.put(Buffer.from('precious model bytes'));
      await h.corrupt(digest);
      await expectCode(store.get(digest), 'ARTIFACTS_CORRUPT');
    });

    test('a malformed digest throws CORE_INVALID_ARGUMENT', async () => {
      const valid = sha256(Buffer.from('x'));
      for (const bad of [
        '',
        'abc',
        valid.toUpperCase(),
        `${valid}0`,
        `../${valid.slice(3)}`,
        `g${valid.slice(1)}`,
      ]) {
        await expectCode(store.get(bad), 'CORE_INVALID_ARGUMENT');
        await expectCode(store.localPath(bad), 'CORE_INVALID_ARGUMENT');
        await expectCode(store.delete(bad), 'CORE_INVALID_ARGUMENT');
      }
    });

    test('delete removes an artifact; deleting an unknown one is not an error', async () => {
      const a = await store.put(Buffer.from('a'));
      const b = await store.put(Buffer.from('b'));
      await store.delete(a);
      expect(await store.has(a)).toBe(false);
      await expectCode(store.get(a), 'ARTIFACTS_NOT_FOUND');
      await store.delete(a);
      expect(await listAll(store)).toEqual([b]);
      // Putting deleted bytes again brings them back.
      expect(await store.put(Buffer.from('a'))).toBe(a);
      expect(await store.has(a)).toBe(true);
    });

    test('list yields exactly the stored digests', async () => {
      expect(await listAll(store)).toEqual([]);
      const digests = [];
      for (let i = 0; i < 20; i++) digests.push(await store.put(Buffer.from(`artifact ${i}`)));
      expect(await listAll(store)).toEqual([...digests].sort());
    });
  });
}
