import { SlipwayError } from '../core/errors.js';
import type { TensorSpec } from '../core/tensor-types.js';
import type { Tensor, TensorMap } from '../runtime/tensor.js';
import { decodeTensor } from '../runtime/tensor-codec.js';
import type { ModelVersionRecord } from '../store/registry-store.js';

/** Rows of named columns, as pandas' split orient carries them. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

/**
 * Maps a table onto a model's inputs, the way MLflow's scoring server and batch prediction read
 * tabular data:
 * - a model with one 2-D input `[-1, k]` takes k columns, in the order of the feature names
 *   recorded at registration (or, without names, the table's own order when it has exactly k);
 *   extra columns are ignored and a missing one is an error naming it;
 * - otherwise each input takes the column of its own name (one value per row).
 */
export function tableToInputs(record: ModelVersionRecord, table: Table): TensorMap {
  const inputs = record.signature.inputs;
  const featureNames = (record.metadata.featureNames as string[] | null | undefined) ?? null;
  if (inputs.length === 1 && inputs[0].shape.length === 2) {
    return { [inputs[0].name]: matrixInput(inputs[0], table, featureNames) };
  }
  const out: TensorMap = {};
  for (const spec of inputs) {
    const col = table.columns.indexOf(spec.name);
    if (col < 0) throw missingColumns([spec.name], table.columns);
    const data = table.rows.map((r) => r[col]);
    const shape = spec.shape.length === 2 ? [data.length, 1] : [data.length];
    out[spec.name] = decodeTensor({ name: spec.name, datatype: spec.datatype, shape, data }, spec);
  }
  return out;
}

function matrixInput(spec: TensorSpec, table: Table, featureNames: string[] | null): Tensor {
  const width = spec.shape[1];
  let order: number[];
  if (featureNames) {
    const missing = featureNames.filter((f) => !table.columns.includes(f));
    if (missing.length > 0) throw missingColumns(missing, table.columns);
    order = featureNames.map((f) => table.columns.indexOf(f));
  } else if (width < 0 || table.columns.length === width) {
    order = table.columns.map((_, i) => i);
  } else {
    throw new SlipwayError(
      'RUNTIME_INPUT_SHAPE_MISMATCH',
      `input "${spec.name}" expects ${width} columns, got ${table.columns.length}; ` +
        'register the model with --dataset to record its feature names so columns can be matched by name',
    );
  }
  const k = order.length;
  const data = new Array<unknown>(table.rows.length * k);
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r];
    if (!Array.isArray(row)) {
      throw new SlipwayError(
        'RUNTIME_INVALID_INPUT',
        `row ${r}: expected an array of ${table.columns.length} values`,
      );
    }
    for (let c = 0; c < k; c++) data[r * k + c] = row[order[c]];
  }
  return decodeTensor(
    { name: spec.name, datatype: spec.datatype, shape: [table.rows.length, k], data },
    spec,
  );
}

function missingColumns(missing: string[], given: string[]): SlipwayError {
  return new SlipwayError(
    'RUNTIME_MISSING_INPUT',
    `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; ` +
      `the request has ${given.length ? given.map((g) => `"${g}"`).join(', ') : 'no columns'}`,
  );
}

/** Records (`[{col: value}]`) → a table with the union of keys, in first-seen order. */
export function recordsToTable(records: unknown[]): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const [i, rec] of records.entries()) {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      throw new SlipwayError('RUNTIME_INVALID_INPUT', `record ${i}: expected an object of column values`);
    }
    for (const key of Object.keys(rec)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const rows = records.map((rec) => columns.map((c) => (rec as Record<string, unknown>)[c] ?? null));
  return { columns, rows };
}

/** Output tensors → one record per row: 1-D outputs give a value, wider ones a list. */
export function outputsToRecords(outputs: TensorMap, names: readonly string[]): Record<string, unknown>[] {
  const first = outputs[names[0]];
  const rows = first ? (first.shape[0] ?? 1) : 0;
  const records: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  for (const name of names) {
    const t = outputs[name];
    if (!t) continue;
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    for (let r = 0; r < rows; r++) {
      records[r][name] =
        t.shape.length <= 1
          ? plain(t.data[r])
          : Array.from(t.data.slice(r * width, (r + 1) * width) as ArrayLike<unknown>, plain);
    }
  }
  return records;
}

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}
