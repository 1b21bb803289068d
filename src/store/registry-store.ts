import type { Signature } from '../core/tensor-types.js';

/**
 * The registry's slice of the metadata store.
 *
 * Contract (every backend passes `test/store/contract/registry.contract.ts`):
 * - `insertVersion` is one transaction: it creates the model when asked, takes the next version
 *   number (monotonic per model, never reused, even after a delete), writes the version, its tags,
 *   dataset links and aliases, and records a change. A crash leaves all of it or none of it.
 * - Aliases move atomically: `setAlias` replaces the target in one statement.
 * - Lists are ordered: models by name, versions by number ascending.
 * - Lookups of what does not exist return `null`; writes that need something that does not exist
 *   throw `SlipwayError` with a `*_NOT_FOUND` code; a duplicate model name throws `REGISTRY_MODEL_EXISTS`.
 */
export interface RegistryStore {
  createModel(input: NewModel): Promise<RegisteredModelRecord>;
  getModel(name: string): Promise<RegisteredModelRecord | null>;
  listModels(query?: ModelQuery): Promise<RegisteredModelRecord[]>;
  updateModel(name: string, patch: { description?: string | null }): Promise<RegisteredModelRecord>;
  renameModel(name: string, newName: string): Promise<RegisteredModelRecord>;
  deleteModel(name: string): Promise<void>;
  setModelTag(name: string, key: string, value: string): Promise<void>;
  deleteModelTag(name: string, key: string): Promise<void>;

  insertVersion(input: NewVersion): Promise<ModelVersionRecord>;
  getVersion(name: string, version: number): Promise<ModelVersionRecord | null>;
  listVersions(name: string): Promise<ModelVersionRecord[]>;
  /** Every version of every model, newest first, for cross-model searches. */
  listAllVersions(query?: { limit?: number }): Promise<ModelVersionRecord[]>;
  latestVersion(name: string): Promise<ModelVersionRecord | null>;
  updateVersion(
    name: string,
    version: number,
    patch: { description?: string | null },
  ): Promise<ModelVersionRecord>;
  deleteVersion(name: string, version: number): Promise<void>;
  setVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  deleteVersionTag(name: string, version: number, key: string): Promise<void>;

  setAlias(name: string, alias: string, version: number): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<boolean>;
  getAlias(name: string, alias: string): Promise<number | null>;

  /** Changes after `afterId`, so serving replicas can follow registrations and alias moves. */
  changesSince(afterId: number): Promise<ChangeRecord[]>;

  /**
   * Fills in a version that was inserted with status `PENDING_REGISTRATION` (the MLflow API may
   * register a version before its logged model's files are final): one transaction sets its
   * files, signature, lineage and status, adds its tags and dataset links and records a change.
   * Throws `REGISTRY_VERSION_NOT_FOUND` when there is no such version.
   */
  completeVersion(name: string, version: number, input: VersionCompletion): Promise<ModelVersionRecord>;
}

/** What `completeVersion` writes over a pending version. */
export type VersionCompletion = Pick<
  NewVersion,
  | 'modelSha256'
  | 'manifestSha256'
  | 'sourceFormat'
  | 'sourcePath'
  | 'status'
  | 'statusMessage'
  | 'signature'
  | 'lineage'
  | 'metadata'
  | 'runId'
  | 'tags'
  | 'datasets'
>;

export interface NewModel {
  name: string;
  description?: string | null;
  tags?: Record<string, string>;
}

export interface ModelQuery {
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  limit?: number;
  offset?: number;
}

export interface RegisteredModelRecord {
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
  latestVersion: number;
  tags: Record<string, string>;
  /** alias → version */
  aliases: Record<string, number>;
}

export interface DatasetLineage {
  path: string;
  sha256: string;
  rows: number;
  columns: string[];
  role: string;
  target: string | null;
}

export interface NewVersion {
  modelName: string;
  /** Create the registered model in the same transaction when it does not exist yet. */
  createModel: boolean;
  description: string | null;
  createdAt: number;
  modelSha256: string | null;
  manifestSha256: string;
  sourceFormat: string;
  sourcePath: string | null;
  status: VersionStatus;
  statusMessage: string | null;
  signature: Signature;
  lineage: Record<string, unknown>;
  metadata: Record<string, unknown>;
  runId: string | null;
  tags: Record<string, string>;
  datasets: DatasetLineage[];
  aliases: string[];
}

// PENDING_REGISTRATION and FAILED_REGISTRATION come from MLflow's model-version states: a version
// created through the MLflow API before its files are final waits, and one whose files never came fails.
export const VERSION_STATUSES = [
  'READY',
  'NOT_SERVABLE',
  'PENDING_REGISTRATION',
  'FAILED_REGISTRATION',
] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface ModelVersionRecord {
  name: string;
  version: number;
  description: string | null;
  createdAt: number;
  modelSha256: string | null;
  manifestSha256: string;
  sourceFormat: string;
  sourcePath: string | null;
  status: VersionStatus;
  statusMessage: string | null;
  signature: Signature;
  lineage: Record<string, unknown>;
  metadata: Record<string, unknown>;
  runId: string | null;
  tags: Record<string, string>;
  datasets: DatasetLineage[];
  aliases: string[];
}

export interface ChangeRecord {
  id: number;
  topic: string;
  subject: string;
  at: number;
}
