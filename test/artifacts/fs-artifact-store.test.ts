import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsArtifactStore } from '../../src/artifacts/fs/fs-artifact-store.js';
import { BIG_FIXTURE, runArtifactStoreContract, sha256 } from './contract/artifact-store.contract.js';

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-'));
}

function objectPath(root: string, digest: string): string {
  return path.join(root, 'sha256', digest.slice(0, 2), digest.slice(2));
}

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

runArtifactStoreContract({
  name: 'fs',
  async create() {
    const root = tempRoot();
    return {
      store: await FsArtifactStore.open(root),
      async corrupt(digest) {
        const file = objectPath(root, digest);
        fs.chmodSync(file, 0o644); // stored artifacts are read-only
        const bytes = fs.readFileSync(file);
        bytes[Math.floor(bytes.length / 2)] ^= 0xff;
        fs.writeFileSync(file, bytes);
      },
      async cleanup() {
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  },
});

describe('FsArtifactStore on disk', () => {
  const roots: string[] = [];
  const root = () => {
    const r = tempRoot();
    roots.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
  });

  it('keeps one read-only file per distinct content, at sha256/<2 hex>/<62 hex>', async () => {
    const r = root();
    const store = await FsArtifactStore.open(r);
    const digest = await store.put(Buffer.from('model'));
    await store.put(Buffer.from('model'));
    await store.putFile(BIG_FIXTURE);
    await store.putFile(BIG_FIXTURE);
    const files = filesUnder(path.join(r, 'sha256')).sort();
    const big = sha256(fs.readFileSync(BIG_FIXTURE));
    expect(files).toEqual([objectPath(r, digest), objectPath(r, big)].sort());
    expect(fs.statSync(objectPath(r, big)).mode & 0o777).toBe(0o444);
    expect(fs.statSync(objectPath(r, big)).size).toBe(fs.statSync(BIG_FIXTURE).size);
    // Nothing is left in the temporary folder after successful and duplicate puts.
    expect(fs.readdirSync(path.join(r, 'tmp'))).toEqual([]);
  });

  it('a failed putFile leaves no temporary file behind', async () => {
    const r = root();
    const store = await FsArtifactStore.open(r);
    await expect(store.putFile(path.join(r, 'missing.onnx'))).rejects.toMatchObject({
      code: 'ARTIFACTS_FILE_NOT_FOUND',
    });
    expect(fs.readdirSync(path.join(r, 'tmp'))).toEqual([]);
  });

  it('sweeps temporary files of dead writers when it opens, and spares fresh ones', async () => {
    const r = root();
    const first = await FsArtifactStore.open(r);
    const kept = await first.put(Buffer.from('kept'));
    const tmp = path.join(r, 'tmp');
    const dead = path.join(tmp, '12345-deadbeefdeadbeef.part');
    const live = path.join(tmp, '12346-cafecafecafecafe.part');
    fs.writeFileSync(dead, Buffer.alloc(1024, 1));
    fs.writeFileSync(live, Buffer.alloc(1024, 2));
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(dead, tenMinutesAgo, tenMinutesAgo);

    const reopened = await FsArtifactStore.open(r);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    // Temporary files are never artifacts, and stored ones survive the sweep.
    const listed: string[] = [];
    for await (const d of reopened.list()) listed.push(d);
    expect(listed).toEqual([kept]);
    expect(Buffer.from(await reopened.get(kept)).toString()).toBe('kept');
  });

  it('a partial file at an artifact path is reported corrupt, never served', async () => {
    const r = root();
    const store = await FsArtifactStore.open(r);
    const bytes = fs.readFileSync(BIG_FIXTURE);
    const digest = await store.put(bytes);
    const file = objectPath(r, digest);
    fs.chmodSync(file, 0o644);
    fs.truncateSync(file, 1000);
    await expect(store.get(digest)).rejects.toMatchObject({ code: 'ARTIFACTS_CORRUPT' });
  });
});
