import { SlipwayError } from '../core/errors.js';
import {
  accuracy,
  f1,
  type Label,
  logLoss,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  precision,
  r2Score,
  recall,
  rocAuc,
  rootMeanSquaredError,
} from '../monitoring/index.js';
import type { Tensor, TensorMap } from '../runtime/tensor.js';
import type { ModelVersionRecord } from '../store/registry-store.js';

/**
 * Which way is better for each metric `evaluate` records; gates read margins in this direction.
 * The same table as live quality's, so a gate and a quality alert never disagree on a metric.
 */
export {
  isQualityMetric as isMetricName,
  QUALITY_METRICS as METRIC_DIRECTIONS,
  type QualityMetric as MetricName,
} from '../monitoring/live-quality/quality-metrics.js';

export interface TaskMetrics {
  task: 'classification' | 'regression';
  metrics: Record<string, number>;
}

/**
 * The monitoring issue's quality metrics (src/monitoring/quality, scikit-learn's semantics) of a
 * model's outputs against the true values of a target column.
 *
 * Classification when the model gives a class-score matrix (`[n, k]`, k ≥ 2) or a 1-D integer or
 * string label, and the targets are labels: accuracy, precision, recall, F1 (binary for two
 * classes, macro otherwise), and from the scores ROC AUC (two classes) and log loss. Class `i`
 * of the score matrix is the version's recorded class label `i` when it has them, else `i`.
 * Regression otherwise: MAE, RMSE, MAPE, R² of the first floating-point output.
 */
export function computeMetrics(
  record: ModelVersionRecord,
  outputs: TensorMap,
  yRaw: readonly string[],
): TaskMetrics {
  const n = yRaw.length;
  const scores = scoreMatrix(outputs, n);
  const labelOut = labelOutput(outputs, n);
  if (scores !== null || labelOut !== null) {
    const yTrue = yRaw.map(asLabel);
    const classLabels =
      ((record.metadata.classLabels as string[] | null | undefined) ?? null)?.map(asLabel) ?? null;
    const k = scores?.shape[1] ?? 0;
    const classes: Label[] =
      classLabels && classLabels.length === k ? classLabels : Array.from({ length: k }, (_, i) => i);
    const yPred: Label[] = labelOut !== null ? labelsOf(labelOut) : argmaxLabels(scores!, classes);
    const labels = new Set<Label>([...yTrue, ...yPred]);
    const average = labels.size <= 2 ? 'binary' : 'macro';
    const positive = [...labels].some((l) => l === 1) ? 1 : undefined;
    const options =
      average === 'binary' ? { average, posLabel: positive ?? sortedPositive(labels) } : { average };
    const metrics: Record<string, number> = {
      accuracy: accuracy(yTrue, yPred),
      precision: precision(yTrue, yPred, options as never),
      recall: recall(yTrue, yPred, options as never),
      f1: f1(yTrue, yPred, options as never),
    };
    if (scores !== null && classes.length >= 2) {
      const rows = rowsOf(scores);
      if (classes.length === 2 && new Set(yTrue).size === 2) {
        const pos = classes.indexOf(sortedPositive(new Set(classes)));
        metrics.roc_auc = rocAuc(
          yTrue,
          rows.map((r) => r[pos]),
        );
      }
      if (yTrue.every((y) => classes.includes(y)) && isProbabilityRows(rows)) {
        metrics.log_loss = logLoss(yTrue, rows, { labels: classes });
      }
    }
    return { task: 'classification', metrics };
  }
  const pred = regressionOutput(outputs, n);
  if (pred === null) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `model "${record.name}" version ${record.version} gives no output to evaluate: expected class scores [n, k], a label [n], or a number per row`,
    );
  }
  const yTrue = yRaw.map((v, i) => {
    const x = Number(v);
    if (!Number.isFinite(x)) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `target row ${i + 1}: "${v}" is not a number (regression)`,
      );
    }
    return x;
  });
  return {
    task: 'regression',
    metrics: {
      mae: meanAbsoluteError(yTrue, pred),
      rmse: rootMeanSquaredError(yTrue, pred),
      mape: meanAbsolutePercentageError(yTrue, pred),
      r2: r2Score(yTrue, pred),
    },
  };
}

function asLabel(v: unknown): Label {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const s = String(v).trim();
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
}

function sortedPositive(labels: Set<Label>): Label {
  const sorted = [...labels].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.at(-1)!;
}

function isFloat(t: Tensor): boolean {
  return t.datatype === 'FP32' || t.datatype === 'FP64';
}

function scoreMatrix(outputs: TensorMap, n: number): Tensor | null {
  const candidates = Object.entries(outputs).filter(
    ([, t]) => isFloat(t) && t.shape.length === 2 && t.shape[0] === n && t.shape[1] >= 2,
  );
  const named = candidates.find(([name]) => /prob/i.test(name));
  return (named ?? candidates[0])?.[1] ?? null;
}

function labelOutput(outputs: TensorMap, n: number): Tensor | null {
  for (const t of Object.values(outputs)) {
    if (
      t.shape.length === 1 &&
      t.shape[0] === n &&
      (t.datatype === 'INT64' || t.datatype === 'INT32' || t.datatype === 'BYTES')
    ) {
      return t;
    }
  }
  return null;
}

function regressionOutput(outputs: TensorMap, n: number): Float64Array | null {
  for (const t of Object.values(outputs)) {
    if (!isFloat(t) || t.shape[0] !== n || t.data.length !== n) continue;
    return Float64Array.from(t.data as Float32Array);
  }
  return null;
}

function labelsOf(t: Tensor): Label[] {
  return Array.from(t.data as ArrayLike<unknown>, asLabel);
}

function rowsOf(t: Tensor): Float64Array[] {
  const [n, k] = t.shape;
  const data = t.data as Float32Array;
  return Array.from({ length: n }, (_, r) => Float64Array.from(data.subarray(r * k, (r + 1) * k)));
}

function argmaxLabels(t: Tensor, classes: Label[]): Label[] {
  return rowsOf(t).map((row) => {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
    return classes[best];
  });
}

/** Log loss only makes sense for probabilities (rows of non-negative values summing to ~1), not logits. */
function isProbabilityRows(rows: Float64Array[]): boolean {
  for (const r of rows) {
    let sum = 0;
    for (const v of r) {
      if (v < -1e-6 || v > 1 + 1e-6) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}
