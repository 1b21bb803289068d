import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import { concatRows, sliceRows } from '../runtime/batch-merge.js';
import type { TensorMap } from '../runtime/tensor.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import { tableToInputs } from '../serving/tabular-input.js';
import type { EvaluationRecord, EvaluationStore } from '../store/evaluation-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { computeMetrics } from './evaluation-metrics.js';

/** A labelled dataset read once: its features as a table, its targets, its identity. */
export interface HoldoutDataset {
  path: string;
  sha256: string;
  target: string;
  columns: string[];
  rows: unknown[][];
  targets: string[];
}

export interface EvaluatorOptions {
  registry: Pick<Registry, 'resolve' | 'servedModelBytes'>;
  store: EvaluationStore;
  clock: Clock;
  /** The engine to run models on, created on first need (the CLI has none until then). */
  engine: () => Promise<InferenceEngine>;
}

/** Rows per inference call while evaluating: large enough to amortise, small enough for memory. */
const CHUNK_ROWS = 1024;

/**
 * `slipway evaluate <ref> --dataset F --target C`: runs a model version over a labelled CSV and
 * records the monitoring issue's quality metrics for it (per version, dataset sha256 and target),
 * which promotion gates then compare with thresholds and with the current version.
 */
export class Evaluator {
  readonly #registry: EvaluatorOptions['registry'];
  readonly #store: EvaluationStore;
  readonly #clock: Clock;
  readonly #engine: EvaluatorOptions['engine'];

  constructor(options: EvaluatorOptions) {
    this.#registry = options.registry;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#engine = options.engine;
  }

  /** Evaluates `ref` on the dataset and records the result. */
  async evaluate(ref: string, options: { dataset: string; target: string }): Promise<EvaluationRecord> {
    const record = await this.#registry.resolve(ref);
    return this.evaluateVersion(record, readHoldout(options.dataset, options.target), { reuse: false });
  }

  /**
   * The evaluation of one version on a dataset: the recorded one for the same file contents and
   * target when `reuse` is set and there is one, else a fresh run (recorded).
   */
  async evaluateVersion(
    record: ModelVersionRecord,
    data: HoldoutDataset,
    options: { reuse: boolean },
  ): Promise<EvaluationRecord> {
    if (options.reuse) {
      const known = await this.#store.latestEvaluation(record.name, record.version, data.sha256, data.target);
      if (known) return known;
    }
    const outputs = await this.predict(
      record,
      tableToInputs(record, { columns: data.columns, rows: data.rows }),
    );
    const { task, metrics } = computeMetrics(record, outputs, data.targets);
    return this.#store.recordEvaluation({
      model: record.name,
      version: record.version,
      datasetPath: data.path,
      datasetSha256: data.sha256,
      target: data.target,
      rows: data.rows.length,
      task,
      metrics,
      at: this.#clock.now(),
    });
  }

  /** Runs `inputs` (any number of rows) through the version on a throwaway engine key. */
  async predict(record: ModelVersionRecord, inputs: TensorMap): Promise<TensorMap> {
    const engine = await this.#engine();
    const key = `evaluate/${record.name}:${record.version}/${randomUUID()}`;
    await engine.load(key, await this.#registry.servedModelBytes(record), record.signature);
    try {
      const n = Object.values(inputs)[0]?.shape[0] ?? 0;
      const parts: TensorMap[] = [];
      for (let start = 0; start < n; start += CHUNK_ROWS) {
        const chunk = sliceRows(inputs, start, Math.min(n, start + CHUNK_ROWS));
        parts.push((await engine.infer(key, chunk, { timeoutMs: 600_000 })).outputs);
      }
      return concatRows(parts);
    } catch (err) {
      throw new SlipwayError(
        'RUNTIME_INFERENCE_FAILED',
        `evaluating model "${record.name}" version ${record.version} failed: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        { cause: err },
      );
    } finally {
      await engine.unload(key);
    }
  }
}

/** Reads a CSV with a header; `target` names the label column, every other column is a feature. */
export function readHoldout(file: string, target: string): HoldoutDataset {
  const full = path.resolve(file);
  if (!fs.existsSync(full)) {
    throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `dataset "${file}" does not exist`);
  }
  const bytes = fs.readFileSync(full);
  let records: string[][];
  try {
    records = parseCsv(bytes, { skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `dataset "${file}" is not a readable CSV: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (records.length < 2) throw new SlipwayError('CORE_INVALID_ARGUMENT', `dataset "${file}" has no rows`);
  const [header, ...body] = records;
  const t = header.indexOf(target);
  if (t < 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `dataset "${file}" has no target column "${target}"; its columns are ${header.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  const columns = header.filter((_, i) => i !== t);
  const rows = body.map((r) => r.filter((_, i) => i !== t).map(numberOrText));
  return {
    path: full,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    target,
    columns,
    rows,
    targets: body.map((r) => r[t]),
  };
}

function numberOrText(v: string): unknown {
  const x = Number(v);
  return v.trim() !== '' && Number.isFinite(x) ? x : v;
}
