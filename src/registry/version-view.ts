import type { ModelVersionRecord } from '../store/registry-store.js';

/**
 * A version as the CLI's `--json` and the HTTP API show it: snake_case, datatypes in V2 names,
 * symbolic dimension names as `dim_names`. One function so the two never drift apart.
 */
export function versionView(v: ModelVersionRecord) {
  return {
    name: v.name,
    version: v.version,
    sha256: v.modelSha256,
    manifest_sha256: v.manifestSha256,
    status: v.status,
    status_message: v.statusMessage,
    created_at: v.createdAt,
    description: v.description,
    aliases: v.aliases,
    tags: v.tags,
    source_format: v.sourceFormat,
    source_path: v.sourcePath,
    signature: {
      inputs: v.signature.inputs.map(({ name, datatype, shape, dimNames }) => ({
        name,
        datatype,
        shape,
        ...(dimNames ? { dim_names: dimNames } : {}),
      })),
      outputs: v.signature.outputs.map(({ name, datatype, shape, dimNames }) => ({
        name,
        datatype,
        shape,
        ...(dimNames ? { dim_names: dimNames } : {}),
      })),
    },
    feature_names: (v.metadata.featureNames as string[] | null) ?? null,
    class_labels: (v.metadata.classLabels as string[] | null) ?? null,
    metrics: v.metadata.metrics ?? {},
    datasets: v.datasets,
    lineage: v.lineage,
    run_id: v.runId,
  };
}
