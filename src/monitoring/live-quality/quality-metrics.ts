/**
 * Live quality of one set of labelled predictions, with the statistics of `../quality`
 * (scikit-learn's semantics), and its comparison with the figures recorded at registration.
 */
import { accuracy, f1, precision, recall } from '../quality/classification-metrics.js';
import type { Label } from '../quality/labels.js';
import { logLoss } from '../quality/log-loss.js';
import {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  r2Score,
  rootMeanSquaredError,
} from '../quality/regression-metrics.js';
import { rocAuc } from '../quality/roc-auc.js';
import type { Task } from './prediction-reading.js';

/** Every live-quality metric and which way is better (`slipway evaluate` uses the same names). */
export const QUALITY_METRICS = {
  accuracy: 'higher',
  precision: 'higher',
  recall: 'higher',
  f1: 'higher',
  roc_auc: 'higher',
  log_loss: 'lower',
  mae: 'lower',
  rmse: 'lower',
  mape: 'lower',
  r2: 'higher',
} as const;
export type QualityMetric = keyof typeof QUALITY_METRICS;

export function isQualityMetric(name: string): name is QualityMetric {
  return Object.hasOwn(QUALITY_METRICS, name);
}

export interface ClassificationSample {
  yTrue: Label[];
  yPred: Label[];
  /** Score rows aligned with yTrue, or null when the model gives no scores. */
  scores: number[][] | null;
  classes: Label[] | null;
}

export function classificationMetrics(s: ClassificationSample): Partial<Record<QualityMetric, number>> {
  const labels = new Set<Label>([...s.yTrue, ...s.yPred]);
  const average = labels.size <= 2 ? 'binary' : 'macro';
  const posLabel = labels.has(1) ? 1 : sorted([...labels]).at(-1)!;
  const options = average === 'binary' ? { average, posLabel } : { average };
  const out: Partial<Record<QualityMetric, number>> = {
    accuracy: accuracy(s.yTrue, s.yPred),
    precision: precision(s.yTrue, s.yPred, options as never),
    recall: recall(s.yTrue, s.yPred, options as never),
    f1: f1(s.yTrue, s.yPred, options as never),
  };
  if (s.scores !== null && s.classes !== null && s.classes.length >= 2) {
    const classes = s.classes;
    if (classes.length === 2 && new Set(s.yTrue).size === 2 && s.yTrue.every((y) => classes.includes(y))) {
      // sklearn's roc_auc_score scores the larger label: take that class's column.
      const pos = classes.indexOf(sorted([...classes]).at(-1)!);
      out.roc_auc = rocAuc(
        s.yTrue,
        s.scores.map((r) => r[pos]),
      );
    }
    if (s.yTrue.every((y) => classes.includes(y)) && s.scores.every(isProbabilityRow)) {
      out.log_loss = logLoss(s.yTrue, s.scores, { labels: classes });
    }
  }
  return out;
}

export function regressionMetrics(yTrue: number[], yPred: number[]): Partial<Record<QualityMetric, number>> {
  const out: Partial<Record<QualityMetric, number>> = {
    mae: meanAbsoluteError(yTrue, yPred),
    rmse: rootMeanSquaredError(yTrue, yPred),
    mape: meanAbsolutePercentageError(yTrue, yPred),
  };
  if (yTrue.length >= 2) out.r2 = r2Score(yTrue, yPred);
  return out;
}

export interface BaselineComparison {
  value: number;
  baseline: number;
  /** value − baseline. */
  delta: number;
  better: 'higher' | 'lower';
  /** True when the live value is on the bad side of the baseline. */
  worse: boolean;
}

/** Each computed metric that has a figure recorded at registration, compared with it. */
export function compareWithBaseline(
  metrics: Partial<Record<QualityMetric, number>>,
  baseline: Record<string, unknown>,
): Partial<Record<QualityMetric, BaselineComparison>> {
  const out: Partial<Record<QualityMetric, BaselineComparison>> = {};
  for (const [name, value] of Object.entries(metrics) as [QualityMetric, number][]) {
    const b = baseline[name];
    if (typeof b !== 'number' || !Number.isFinite(b)) continue;
    const better = QUALITY_METRICS[name];
    out[name] = {
      value,
      baseline: b,
      delta: value - b,
      better,
      worse: better === 'higher' ? value < b : value > b,
    };
  }
  return out;
}

function isProbabilityRow(row: readonly number[]): boolean {
  let sum = 0;
  for (const p of row) {
    if (!(p >= 0 && p <= 1)) return false;
    sum += p;
  }
  return Math.abs(sum - 1) < 1e-3;
}

function sorted(labels: Label[]): Label[] {
  return labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export type { Task };
