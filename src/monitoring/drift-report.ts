/**
 * Drift of a model version's current data against its reference: features, and — when the
 * reference has the model's answers on its dataset — the predictions. The current data is a
 * window of the prediction log or a file. The result has the shape of Evidently's DataDriftPreset
 * (`dataset_drift`, `drift_share`, `columns`) with the window and the reference beside it.
 */
import { SlipwayError } from '../core/errors.js';
import type { TensorMap } from '../runtime/tensor.js';
import { tableToInputs } from '../serving/tabular-input.js';
import type { PredictionLogStore } from '../store/prediction-log-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { type DatasetDriftResult, type DetectDriftOptions, detectDrift } from './drift/detect-drift.js';
import type { ColumnKind } from './drift/drift-method.js';
import type { RawColumn } from './profile/dataset-profile.js';
import { readDatasetColumns } from './reference/read-dataset.js';
import { outputColumnValues, type Reference } from './reference/reference-builder.js';
import { type Distribution, distributionOf } from './report/distributions.js';
import { type ResolvedWindow, readWindowColumns, windowQuery } from './window/log-window.js';

export interface DriftOptions extends Omit<DetectDriftOptions, 'columns'> {
  /** Features to test (default: every feature of the reference). */
  columns?: readonly string[];
  /** Test the predictions too, when the reference has them (default true). */
  predictions?: boolean;
}

export interface DriftReport extends DatasetDriftResult {
  model: string;
  version: number;
  window: {
    source: 'log' | 'file';
    start: number | null;
    end: number;
    last: number | null;
    file: string | null;
    deployment: string | null;
    /** Time of the first and last logged row read (null for files). */
    first_at: number | null;
    last_at: number | null;
  };
  current_rows: number;
  reference: { rows: number; dataset: string; sha256: string; origin: string; created_at: number };
  /** Drift of the model's outputs, or null when the reference has none (or it was not asked). */
  prediction: DatasetDriftResult | null;
}

export interface CurrentData {
  rows: number;
  first: number | null;
  last: number | null;
  columns: Record<string, RawColumn>;
}

/** Reads the current data of a window: rows of the log, or a CSV (run through the model when outputs are wanted). */
export async function readCurrent(
  log: PredictionLogStore,
  record: ModelVersionRecord,
  reference: Reference,
  window: ResolvedWindow,
  features: readonly string[],
  withOutputs: boolean,
  predict: ((inputs: TensorMap) => Promise<TensorMap>) | null,
): Promise<CurrentData> {
  const kindOf = (name: string): ColumnKind => reference.profile.columns[name]?.kind ?? 'numeric';
  const outputs = withOutputs && reference.source.outputs ? reference.source.outputs : [];
  if (window.source === 'log') {
    const w = await readWindowColumns(
      log,
      windowQuery(record.name, record.version, window),
      features.map((name) => ({ name, kind: kindOf(name) })),
      outputs.map((o) => ({ ...o, kind: kindOf(o.column) })),
    );
    return { rows: w.rows, first: w.first, last: w.last, columns: w.columns };
  }
  const data = await readDatasetColumns(window.file!);
  const missing = features.filter((f) => !(f in data.columns));
  if (missing.length > 0) {
    throw new SlipwayError(
      'MONITORING_REFERENCE_MISMATCH',
      `current file ${window.file} lacks the feature column${missing.length > 1 ? 's' : ''} ${missing
        .slice(0, 10)
        .map((m) => `"${m}"`)
        .join(', ')}`,
      { missing },
    );
  }
  const columns: Record<string, RawColumn> = {};
  for (const f of features) columns[f] = data.columns[f];
  if (outputs.length > 0 && predict !== null && data.rows > 0) {
    const names = reference.source.features;
    const table = {
      columns: (record.metadata.featureNames as string[] | null | undefined) ?? names,
      rows: Array.from({ length: data.rows }, (_, r) =>
        names.map((n) => {
          const v = data.columns[n]?.[r];
          return typeof v === 'number' && Number.isNaN(v) ? null : v;
        }),
      ),
    };
    const answered = await predict(tableToInputs(record, table));
    for (const o of outputs)
      if (answered[o.output]) columns[o.column] = outputColumnValues(answered[o.output], o.index);
  }
  return { rows: data.rows, first: null, last: null, columns };
}

export function driftReport(
  record: ModelVersionRecord,
  reference: Reference,
  window: ResolvedWindow,
  current: CurrentData,
  features: readonly string[],
  options: DriftOptions,
): { report: DriftReport; distributions: Record<string, Distribution> } {
  const { predictions: _p, columns: _c, ...detect } = options;
  const featureDrift = detectDrift(reference.profile, current.columns, { ...detect, columns: features });
  const outputNames = (reference.source.outputs ?? [])
    .map((o) => o.column)
    .filter((c) => c in current.columns);
  const prediction =
    outputNames.length > 0
      ? detectDrift(reference.profile, current.columns, { ...detect, columns: outputNames })
      : null;
  const distributions: Record<string, Distribution> = {};
  for (const name of [...features, ...outputNames]) {
    distributions[name] = distributionOf(reference.profile.columns[name], current.columns[name]);
  }
  const report: DriftReport = {
    model: record.name,
    version: record.version,
    window: {
      source: window.source,
      start: window.start,
      end: window.end,
      last: window.last,
      file: window.file,
      deployment: window.deployment,
      first_at: current.first,
      last_at: current.last,
    },
    current_rows: current.rows,
    reference: {
      rows: reference.profile.rows,
      dataset: reference.source.dataset.path,
      sha256: reference.source.dataset.sha256,
      origin: reference.source.origin,
      created_at: reference.createdAt,
    },
    ...featureDrift,
    prediction,
  };
  return { report, distributions };
}

/** The features a drift run tests: the reference's, or a checked subset. */
export function featuresToTest(reference: Reference, columns: readonly string[] | undefined): string[] {
  if (!columns || columns.length === 0) return reference.source.features;
  const known = new Set(reference.source.features);
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}: the reference has ${reference.source.features.slice(0, 20).join(', ')}`,
    );
  }
  return [...columns];
}
