/**
 * Exports a slice of the prediction log as one Parquet file (hyparquet-writer, the writer batch
 * prediction chose by measurement: bench/batch/README.md), streamed a row group at a time, written
 * to a temporary name and renamed into place, so a reader never sees half a file.
 *
 * Columns: id, request_id, row, prediction_key, at (timestamp, ms), model, version, deployment,
 * protocol, latency_ms, features and outputs (JSON text), label (JSON text, null until feedback)
 * and labelled_at. With `flatten` (one model version), each feature and each scalar output is also
 * a typed column of its own, `feature.<name>` and `output.<name>`, for tools that read columns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ColumnSource, fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { PredictionLogQuery, PredictionLogStore } from '../../store/prediction-log-store.js';
import type { ColumnKind } from '../drift/drift-method.js';
import { LogDecoder, type LoggedPrediction } from '../prediction-log/log-decoder.js';
import { forEachPage } from '../window/log-window.js';

export interface ExportOptions {
  query: PredictionLogQuery;
  out: string;
  /** Typed columns for these features and scalar outputs (one model version's). */
  flatten?: {
    features: { name: string; kind: ColumnKind }[];
    outputs: { name: string; kind: ColumnKind }[];
  } | null;
  rowGroupRows?: number;
}

export interface ExportResult {
  file: string;
  rows: number;
  bytes: number;
}

export async function exportParquet(
  store: PredictionLogStore,
  options: ExportOptions,
): Promise<ExportResult> {
  const file = path.resolve(options.out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const groupRows = options.rowGroupRows ?? 65_536;
  const flatten = options.flatten ?? null;
  let writer: ParquetWriter | null = null;
  let group: LoggedPrediction[] = [];
  let rows = 0;
  const writeGroup = async () => {
    const columnData = columnsOf(group, flatten);
    writer ??= new ParquetWriter({
      writer: fileWriter(tmp),
      schema: schemaFromColumnData({ columnData }),
      createdBy: 'slipway monitor export',
    });
    // Types went into the schema; the writer takes plain data.
    await writer.write({
      columnData: columnData.map(({ name, data }) => ({ name, data })),
      rowGroupSize: Math.max(1, group.length),
    });
    rows += group.length;
    group = [];
  };
  try {
    const decoder = new LogDecoder(store);
    await forEachPage(store, options.query, async (page) => {
      await decoder.load(page);
      for (const row of page) group.push(decoder.decode(row));
      if (group.length >= groupRows) await writeGroup();
    });
    if (group.length > 0 || rows === 0) await writeGroup();
    await (writer as ParquetWriter | null)?.finish();
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return { file, rows, bytes: fs.statSync(file).size };
}

function columnsOf(rows: readonly LoggedPrediction[], flatten: ExportOptions['flatten']): ColumnSource[] {
  const n = rows.length;
  const cols: ColumnSource[] = [
    { name: 'id', data: BigInt64Array.from(rows, (r) => BigInt(r.id)), type: 'INT64', nullable: false },
    { name: 'request_id', data: rows.map((r) => r.requestId), type: 'STRING', nullable: false },
    { name: 'row', data: Int32Array.from(rows, (r) => r.row), type: 'INT32', nullable: false },
    { name: 'prediction_key', data: rows.map((r) => r.predictionKey), type: 'STRING' },
    { name: 'at', data: rows.map((r) => new Date(r.at)), type: 'TIMESTAMP', nullable: false },
    { name: 'model', data: rows.map((r) => r.model), type: 'STRING', nullable: false },
    { name: 'version', data: Int32Array.from(rows, (r) => r.version), type: 'INT32', nullable: false },
    { name: 'deployment', data: rows.map((r) => r.deployment), type: 'STRING' },
    { name: 'protocol', data: rows.map((r) => r.protocol), type: 'STRING', nullable: false },
    {
      name: 'latency_ms',
      data: Float64Array.from(rows, (r) => r.latencyMs),
      type: 'DOUBLE',
      nullable: false,
    },
    { name: 'features', data: rows.map((r) => jsonText(r.features)), type: 'STRING', nullable: false },
    { name: 'outputs', data: rows.map((r) => jsonText(r.outputs)), type: 'STRING', nullable: false },
    {
      name: 'label',
      data: rows.map((r) => (r.label === null ? null : JSON.stringify(r.label))),
      type: 'STRING',
    },
    {
      name: 'labelled_at',
      data: rows.map((r) => (r.labelledAt === null ? null : new Date(r.labelledAt))),
      type: 'TIMESTAMP',
    },
  ];
  if (flatten) {
    for (const f of flatten.features)
      cols.push(typedColumn(`feature.${f.name}`, f.kind, n, (i) => rows[i].features[f.name]));
    for (const o of flatten.outputs)
      cols.push(typedColumn(`output.${o.name}`, o.kind, n, (i) => rows[i].outputs[o.name]));
  }
  return cols;
}

function typedColumn(name: string, kind: ColumnKind, n: number, at: (i: number) => unknown): ColumnSource {
  if (kind === 'numeric') {
    return {
      name,
      data: Array.from({ length: n }, (_, i) => {
        const v = at(i);
        return typeof v === 'number' && !Number.isNaN(v) ? v : null;
      }),
      type: 'DOUBLE',
    };
  }
  return {
    name,
    data: Array.from({ length: n }, (_, i) => {
      const v = at(i);
      return v === null || v === undefined ? null : String(v);
    }),
    type: 'STRING',
  };
}

/** JSON text of decoded values; NaN and ±Infinity (which JSON cannot hold) become null. */
function jsonText(values: Record<string, unknown>): string {
  return JSON.stringify(values, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}
