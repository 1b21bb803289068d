import type { Generated } from 'kysely';

/**
 * The tables of the metadata store, as Kysely sees them. Every backend (SQLite now, PostgreSQL
 * later) holds these tables, created by the portable migrations in `migrations/`.
 *
 * Times are integers (milliseconds since the epoch) and structured values are JSON text, so the
 * same queries run unchanged on both databases.
 */
export interface RegisteredModelTable {
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
  /** The highest version number ever handed out: versions stay monotonic after deletions. */
  latest_version: number;
}

export interface ModelTagTable {
  model_name: string;
  key: string;
  value: string;
}

export interface ModelVersionTable {
  model_name: string;
  version: number;
  description: string | null;
  created_at: number;
  /** sha256 of the ONNX file that is served (after a ZipMap rewrite, the rewritten bytes). */
  model_sha256: string | null;
  /** sha256 of the manifest listing every stored file of the version (MLflow directories). */
  manifest_sha256: string;
  source_format: string;
  source_path: string | null;
  /** READY, or NOT_SERVABLE with `status_message` saying why. */
  status: string;
  status_message: string | null;
  signature_json: string;
  lineage_json: string;
  metadata_json: string;
  run_id: string | null;
}

export interface VersionTagTable {
  model_name: string;
  version: number;
  key: string;
  value: string;
}

export interface AliasTable {
  model_name: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface DatasetTable {
  sha256: string;
  path: string;
  rows: number;
  columns_json: string;
  created_at: number;
}

export interface VersionDatasetTable {
  model_name: string;
  version: number;
  dataset_sha256: string;
  role: string;
  target: string | null;
}

export interface ChangeLogTable {
  id: Generated<number>;
  /** What changed (`version`, `alias`, `model`...), read by replicas that poll for changes. */
  topic: string;
  subject: string;
  at: number;
}

export interface Database {
  registered_models: RegisteredModelTable;
  model_tags: ModelTagTable;
  model_versions: ModelVersionTable;
  version_tags: VersionTagTable;
  aliases: AliasTable;
  datasets: DatasetTable;
  version_datasets: VersionDatasetTable;
  change_log: ChangeLogTable;
}
