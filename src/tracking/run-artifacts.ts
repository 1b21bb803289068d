import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { ArtifactEntry, TrackingStore } from '../store/tracking-store.js';

/** One entry of a directory listing, as MLflow's FileInfo. */
export interface ArtifactFileInfo {
  /** The entry's name (callers prefix it as their API wants). */
  name: string;
  isDir: boolean;
  /** Absent for directories. */
  fileSize?: number;
}

/**
 * Path-addressed artifacts (what MLflow's artifact proxy serves) over the content-addressed
 * ArtifactStore: bytes go to the ArtifactStore by sha256, and a path → sha256 index lives in the
 * metadata store.
 *
 * Why an index and not a files tree under `<home>/mlartifacts`: (1) an upload is atomic for free —
 * the bytes are put atomically, then one upsert makes the path visible, so a killed upload leaves
 * at most an orphan blob, never a half file under a real name; (2) a model logged through MLflow
 * and then registered shares its bytes with the registry version (same digest, stored once);
 * (3) it works unchanged over S3 and PostgreSQL, where replicas agree through the database;
 * (4) listing a run's artifacts is one range query on the index, not a directory walk.
 */
export class RunArtifacts {
  readonly #store: TrackingStore;
  readonly #artifacts: ArtifactStore;
  readonly #clock: Clock;

  constructor(deps: { store: TrackingStore; artifacts: ArtifactStore; clock: Clock }) {
    this.#store = deps.store;
    this.#artifacts = deps.artifacts;
    this.#clock = deps.clock;
  }

  /** Stores a stream at `artifactPath` (already checked by `safeArtifactPath`). */
  async putStream(artifactPath: string, body: Readable): Promise<ArtifactEntry> {
    requireFilePath(artifactPath);
    const tmpDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'slipway-upload-'));
    const tmp = path.join(tmpDir, randomBytes(6).toString('hex'));
    try {
      await pipeline(body, fs.createWriteStream(tmp));
      return await this.putFile(artifactPath, tmp);
    } finally {
      await fs.promises.rm(tmpDir, { recursive: true, force: true });
    }
  }

  async putBytes(artifactPath: string, bytes: Uint8Array): Promise<ArtifactEntry> {
    requireFilePath(artifactPath);
    const sha256 = await this.#artifacts.put(bytes);
    return this.#index(artifactPath, sha256, bytes.byteLength);
  }

  async putFile(artifactPath: string, file: string): Promise<ArtifactEntry> {
    requireFilePath(artifactPath);
    const sha256 = await this.#artifacts.putFile(file);
    const { size } = await fs.promises.stat(file);
    return this.#index(artifactPath, sha256, size);
  }

  async get(artifactPath: string): Promise<ArtifactEntry> {
    const entry = await this.#store.getArtifactEntry(artifactPath);
    if (!entry) {
      throw new SlipwayError('TRACKING_ARTIFACT_NOT_FOUND', `No such file or directory: '${artifactPath}'`);
    }
    return entry;
  }

  async read(entry: ArtifactEntry): Promise<Uint8Array> {
    return this.#artifacts.get(entry.sha256);
  }

  /** A local file with the entry's bytes, for streaming large downloads without buffering. */
  async localPath(entry: ArtifactEntry): Promise<string> {
    return this.#artifacts.localPath(entry.sha256);
  }

  /** The immediate children of `dir` ("" is the root), directories first as MLflow lists them. */
  async list(dir: string): Promise<ArtifactFileInfo[]> {
    const entries = await this.#store.listArtifactEntries(dir);
    const offset = dir === '' ? 0 : dir.length + 1;
    const dirs = new Set<string>();
    const files: ArtifactFileInfo[] = [];
    for (const e of entries) {
      const rest = e.path.slice(offset);
      const slash = rest.indexOf('/');
      if (slash >= 0) dirs.add(rest.slice(0, slash));
      else files.push({ name: rest, isDir: false, fileSize: e.size });
    }
    const out: ArtifactFileInfo[] = [...dirs].map((name) => ({ name, isDir: true }));
    return [...out, ...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every file below `dir`, with paths relative to it. */
  async walk(dir: string): Promise<{ relativePath: string; entry: ArtifactEntry }[]> {
    const entries = await this.#store.listArtifactEntries(dir);
    const offset = dir === '' ? 0 : dir.length + 1;
    return entries.map((entry) => ({ relativePath: entry.path.slice(offset), entry }));
  }

  /** Deletes a file or a whole directory. The bytes stay (shared by digest) until a collection. */
  async delete(artifactPath: string): Promise<number> {
    return this.#store.deleteArtifactEntries(artifactPath);
  }

  /** Copies every file under `dir` into the local folder `target`; returns how many. */
  async materialize(dir: string, target: string): Promise<number> {
    const files = await this.walk(dir);
    const root = path.resolve(target);
    for (const { relativePath, entry } of files) {
      const out = path.resolve(root, ...relativePath.split('/'));
      if (!out.startsWith(root + path.sep)) {
        throw new SlipwayError('TRACKING_INVALID_PATH', `artifact path "${relativePath}" leaves its folder`);
      }
      await fs.promises.mkdir(path.dirname(out), { recursive: true });
      await fs.promises.copyFile(await this.#artifacts.localPath(entry.sha256), out);
      await fs.promises.chmod(out, 0o644);
    }
    return files.length;
  }

  async #index(artifactPath: string, sha256: string, size: number): Promise<ArtifactEntry> {
    const entry = { path: artifactPath, sha256, size, updatedAt: this.#clock.now() };
    await this.#store.putArtifactEntry(entry);
    return entry;
  }
}

function requireFilePath(artifactPath: string): void {
  if (artifactPath === '') {
    throw new SlipwayError('TRACKING_INVALID_PATH', 'Invalid path: an artifact needs a file name');
  }
}
