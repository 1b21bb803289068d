/**
 * The public library API. `openSlipway(config)` is the composition root: the one place that
 * builds concrete stores and services and wires them together. The CLI, the HTTP server, tests and
 * benchmarks all start here.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { FsArtifactStore } from './artifacts/fs/fs-artifact-store.js';
import { resolveConfig, type SlipwayConfig, type SlipwayOptions, splitUrl } from './core/config.js';
import { SlipwayError } from './core/errors.js';
import { Registry } from './registry/registry.js';
import { KyselyRegistryStore } from './store/kysely/kysely-registry-store.js';
import type { RegistryStore } from './store/registry-store.js';
import type { Database } from './store/schema.js';

export interface Slipway {
  readonly config: Readonly<SlipwayConfig>;
  readonly db: Kysely<Database>;
  readonly artifacts: ArtifactStore;
  readonly registryStore: RegistryStore;
  readonly registry: Registry;
  /** Releases everything, in reverse order of construction. Idempotent. */
  close(): Promise<void>;
}

type DatabaseOpener = (location: string) => Promise<Kysely<Database>>;
type ArtifactOpener = (location: string) => Promise<ArtifactStore>;

// Backends by URL scheme; heavy ones are imported only when chosen.
const DATABASES: Record<string, DatabaseOpener> = {
  sqlite: async (location) =>
    (await import('./store/sqlite/open-sqlite-database.js')).openSqliteDatabase(location),
};
const ARTIFACT_STORES: Record<string, ArtifactOpener> = {
  file: (location) => FsArtifactStore.open(location),
};

export async function openSlipway(options: SlipwayOptions = {}): Promise<Slipway> {
  const config = resolveConfig(options);
  const store = splitUrl(config.storeUrl, 'store');
  const openDb = DATABASES[store.scheme];
  if (!openDb) throw unsupported('store', store.scheme, Object.keys(DATABASES));
  const art = splitUrl(config.artifactsUrl, 'artifacts');
  const openArtifacts = ARTIFACT_STORES[art.scheme];
  if (!openArtifacts) throw unsupported('artifacts', art.scheme, Object.keys(ARTIFACT_STORES));

  const artifacts = await openArtifacts(art.rest);
  const db = await openDb(store.rest);
  const registryStore = new KyselyRegistryStore(db, () => config.clock.now());
  const registry = new Registry({ store: registryStore, artifacts, clock: config.clock });

  let closed = false;
  return {
    config,
    db,
    artifacts,
    registryStore,
    registry,
    async close() {
      if (closed) return;
      closed = true;
      registry.events.removeAllListeners();
      await db.destroy();
    },
  };
}

function unsupported(what: string, scheme: string, known: string[]): SlipwayError {
  return new SlipwayError(
    'CORE_INVALID_ARGUMENT',
    `unsupported ${what} URL scheme "${scheme}:": expected one of ${known.map((k) => `${k}:`).join(', ')}`,
  );
}

export { ERROR_CODES, type ErrorCode, EXIT, SlipwayError } from './core/errors.js';
export type { Datatype, Signature, TensorSpec } from './core/tensor-types.js';
export { formatModelRef, type ModelRef, parseModelRef } from './registry/model-ref.js';
export { type RegisterOptions, Registry } from './registry/registry.js';
export type { ModelVersionRecord, RegisteredModelRecord } from './store/registry-store.js';
