/**
 * Content-addressed storage for model files and other artifacts.
 *
 * Contract (every backend passes `test/artifacts/contract/artifact-store.contract.ts`):
 * - An artifact is named by the sha256 of its bytes (64 lowercase hex digits). Putting the same
 *   bytes twice stores them once and returns the same digest.
 * - A put is atomic: a reader sees either no artifact or all of its bytes, never a prefix, even
 *   when the writer is killed mid-write.
 * - `get` of an unknown digest throws `ARTIFACTS_NOT_FOUND`; bytes that no longer match their
 *   digest throw `ARTIFACTS_CORRUPT` rather than being returned.
 */
export interface ArtifactStore {
  /** Stores bytes; resolves to their sha256 digest. */
  put(bytes: Uint8Array): Promise<string>;
  /** Streams a local file into the store without holding it all in memory. */
  putFile(filePath: string): Promise<string>;
  get(digest: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /**
   * A local file holding the artifact, for libraries that want a path (onnxruntime loads from
   * one without copying). Remote backends download to a cache first.
   */
  localPath(digest: string): Promise<string>;
  /** Removes an artifact; deleting an unknown digest is not an error. */
  delete(digest: string): Promise<void>;
  /** Every stored digest (for garbage collection and audits). */
  list(): AsyncIterable<string>;
}

const DIGEST = /^[0-9a-f]{64}$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}
