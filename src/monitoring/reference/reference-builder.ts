/**
 * A model version's reference: the profile of the dataset it was trained or validated on, in the
 * prediction log's column names (log-columns.ts), plus — when a model can be run — the profile of
 * the model's own answers on that dataset, the reference for prediction drift.
 */
import { SlipwayError } from '../../core/errors.js';
import type { Tensor, TensorMap } from '../../runtime/tensor.js';
import { tableToInputs } from '../../serving/tabular-input.js';
import type { ModelVersionRecord } from '../../store/registry-store.js';
import { featureColumns, type OutputColumn, outputColumns } from '../prediction-log/log-columns.js';
import { type DatasetProfile, profileFromColumns, type RawColumn } from '../profile/dataset-profile.js';
import type { DatasetColumns } from './read-dataset.js';

export interface ReferenceSource {
  dataset: { path: string; sha256: string; rows: number };
  /** Profile columns that are features, in input order. */
  features: string[];
  /** The target column's name when the dataset had it (profiled, not drift-tested by default). */
  target: string | null;
  /** Profile columns of the model's answers on the dataset; null when no model was run. */
  outputs: OutputColumn[] | null;
  /** How the reference was made: at registration, by command, or on first use. */
  origin: 'registration' | 'command' | 'first-use';
}

export interface Reference {
  model: string;
  version: number;
  createdAt: number;
  source: ReferenceSource;
  profile: DatasetProfile;
}

/** Runs the model version over its inputs (any number of rows). */
export type Predict = (inputs: TensorMap) => Promise<TensorMap>;

/** The log's feature column names of a version (signature shapes and recorded feature names). */
export function versionFeatureColumns(record: ModelVersionRecord) {
  const names = (record.metadata.featureNames as string[] | null | undefined) ?? null;
  return featureColumns(record.signature.inputs, names);
}

export async function buildReference(options: {
  record: ModelVersionRecord;
  dataset: DatasetColumns;
  target: string | null;
  predict: Predict | null;
  origin: ReferenceSource['origin'];
  at: number;
}): Promise<Reference> {
  const { record, dataset } = options;
  const wanted = versionFeatureColumns(record);
  if (wanted.length === 0) {
    throw new SlipwayError(
      'MONITORING_NO_FEATURES',
      `model "${record.name}" version ${record.version} has no tabular inputs to profile (inputs ${record.signature.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')})`,
    );
  }
  const target = options.target !== null && options.target in dataset.columns ? options.target : null;
  const featureData = mapFeatures(
    record,
    wanted.map((w) => w.name),
    dataset,
    target,
  );
  const columns: Record<string, RawColumn> = { ...featureData };
  if (target !== null) columns[target] = dataset.columns[target];

  let outputs: OutputColumn[] | null = null;
  if (options.predict !== null && dataset.rows > 0) {
    const names = wanted.map((w) => w.name);
    const table = {
      columns: (record.metadata.featureNames as string[] | null | undefined) ?? names,
      rows: Array.from({ length: dataset.rows }, (_, r) => names.map((n) => cellOf(featureData[n], r))),
    };
    const answered = await options.predict(tableToInputs(record, table));
    outputs = outputColumns(Object.entries(answered).map(([name, t]) => ({ name, shape: t.shape })));
    for (const o of outputs) columns[o.column] = outputColumnValues(answered[o.output], o.index);
  }
  return {
    model: record.name,
    version: record.version,
    createdAt: options.at,
    source: {
      dataset: { path: dataset.path, sha256: dataset.sha256, rows: dataset.rows },
      features: wanted.map((w) => w.name),
      target,
      outputs,
      origin: options.origin,
    },
    profile: profileFromColumns(columns),
  };
}

/**
 * The dataset's columns under the log's feature names: by name when the dataset has them all,
 * else, for a version without recorded feature names, by position (every column but the target).
 */
function mapFeatures(
  record: ModelVersionRecord,
  names: string[],
  dataset: DatasetColumns,
  target: string | null,
): Record<string, RawColumn> {
  const missing = names.filter((n) => !(n in dataset.columns));
  if (missing.length === 0) return Object.fromEntries(names.map((n) => [n, dataset.columns[n]]));
  const others = dataset.header.filter((h) => h !== target);
  const hasNames = Array.isArray(record.metadata.featureNames);
  if (!hasNames && others.length === names.length) {
    return Object.fromEntries(names.map((n, i) => [n, dataset.columns[others[i]]]));
  }
  throw new SlipwayError(
    'MONITORING_REFERENCE_MISMATCH',
    `dataset ${dataset.path} lacks the feature column${missing.length > 1 ? 's' : ''} ${missing
      .slice(0, 10)
      .map((m) => `"${m}"`)
      .join(
        ', ',
      )}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} of model "${record.name}" version ${record.version}`,
    { missing },
  );
}

function cellOf(column: RawColumn, r: number): unknown {
  const v = column[r];
  return typeof v === 'number' && Number.isNaN(v) ? null : v;
}

/** One profile column of an output tensor: numbers as Float64Array, strings as categories. */
export function outputColumnValues(t: Tensor, index: number | null): RawColumn {
  const n = t.shape.length === 0 ? 1 : t.shape[0];
  const width = t.shape.length <= 1 ? 1 : t.data.length / Math.max(1, n);
  const at = (r: number) => r * width + (index ?? 0);
  if (t.datatype === 'BYTES') return Array.from({ length: n }, (_, r) => t.data[at(r)] ?? null);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) out[r] = Number(t.data[at(r)]);
  return out;
}
