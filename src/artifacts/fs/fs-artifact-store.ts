import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../../core/errors.js';
import { type ArtifactStore, isDigest } from '../artifact-store.js';
import { fsyncDir } from './atomic-write.js';

/**
 * Artifacts on the local filesystem under `<root>/sha256/<2 hex>/<62 hex>`. Writes go to
 * `<root>/tmp/` first and are renamed into place after an fsync, so a killed writer leaves at most
 * a stray temporary file (swept when the store opens), never a partial artifact.
 */
export class FsArtifactStore implements ArtifactStore {
  readonly #root: string;
  readonly #tmp: string;

  private constructor(root: string) {
    this.#root = root;
    this.#tmp = path.join(root, 'tmp');
  }

  static async open(root: string): Promise<FsArtifactStore> {
    const store = new FsArtifactStore(root);
    await fs.promises.mkdir(path.join(root, 'sha256'), { recursive: true });
    await fs.promises.mkdir(store.#tmp, { recursive: true });
    await store.#sweepTemporaries();
    return store;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (await this.has(digest)) return digest;
    const tmp = this.#tmpPath();
    const handle = await fs.promises.open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.#commit(tmp, digest);
    return digest;
  }

  async putFile(filePath: string): Promise<string> {
    const tmp = this.#tmpPath();
    const hash = createHash('sha256');
    const out = fs.createWriteStream(tmp, { flags: 'wx' });
    try {
      await pipeline(
        fs.createReadStream(filePath),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            yield chunk;
          }
        },
        out,
      );
      const handle = await fs.promises.open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `file not found: ${filePath}`);
      }
      throw err;
    }
    const digest = hash.digest('hex');
    if (await this.has(digest)) {
      await fs.promises.rm(tmp, { force: true });
      return digest;
    }
    await this.#commit(tmp, digest);
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    const file = this.#pathOf(digest);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(digest);
      throw err;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== digest) {
      throw new SlipwayError(
        'ARTIFACTS_CORRUPT',
        `artifact ${digest} is corrupt: its bytes hash to ${actual}`,
      );
    }
    return bytes;
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.promises.access(this.#pathOf(digest));
      return true;
    } catch {
      return false;
    }
  }

  async localPath(digest: string): Promise<string> {
    const file = this.#pathOf(digest);
    if (!(await this.has(digest))) throw notFound(digest);
    return file;
  }

  async delete(digest: string): Promise<void> {
    await fs.promises.rm(this.#pathOf(digest), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const base = path.join(this.#root, 'sha256');
    for (const prefix of await fs.promises.readdir(base)) {
      for (const rest of await fs.promises.readdir(path.join(base, prefix))) {
        const digest = prefix + rest;
        if (isDigest(digest)) yield digest;
      }
    }
  }

  #pathOf(digest: string): string {
    if (!isDigest(digest)) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `invalid artifact digest "${digest}": expected 64 hex digits`,
      );
    }
    return path.join(this.#root, 'sha256', digest.slice(0, 2), digest.slice(2));
  }

  #tmpPath(): string {
    return path.join(this.#tmp, `${process.pid}-${randomBytes(8).toString('hex')}.part`);
  }

  async #commit(tmp: string, digest: string): Promise<void> {
    const target = this.#pathOf(digest);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    // Stored artifacts are immutable: read-only files make an accidental in-place edit fail loudly.
    await fs.promises.chmod(tmp, 0o444);
    await fs.promises.rename(tmp, target);
    await fsyncDir(path.dirname(target));
  }

  /** Temporary files of writers that died; only those older than a minute, to spare live writers. */
  async #sweepTemporaries(): Promise<void> {
    const cutoff = Date.now() - 60_000;
    for (const name of await fs.promises.readdir(this.#tmp)) {
      const file = path.join(this.#tmp, name);
      const stat = await fs.promises.stat(file).catch(() => null);
      if (stat && stat.mtimeMs < cutoff) await fs.promises.rm(file, { force: true });
    }
  }
}

function notFound(digest: string): SlipwayError {
  return new SlipwayError('ARTIFACTS_NOT_FOUND', `no artifact with sha256 ${digest}`);
}
