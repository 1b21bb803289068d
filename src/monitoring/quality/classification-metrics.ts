/**
 * Accuracy, precision, recall and F1 with scikit-learn's semantics (sklearn.metrics 1.9):
 * `average='binary'` scores the positive label only (default 1, as sklearn's pos_label=1);
 * `average='macro'` is the unweighted mean over every label in y_true ∪ y_pred (np.unique order).
 * A ratio with a zero denominator is 0, as sklearn's default zero_division="warn" returns.
 * When `average` is not given: binary for at most two labels, macro for more (sklearn would
 * raise for multiclass with its default 'binary').
 */
import { SlipwayError } from '../../core/errors.js';
import { checkSameLength, type Label, sortedLabels } from './labels.js';

export type Average = 'binary' | 'macro';

export interface ClassificationOptions {
  readonly average?: Average;
  /** The positive label for average='binary' (default 1). */
  readonly posLabel?: Label;
}

export function accuracy(yTrue: readonly Label[], yPred: readonly Label[]): number {
  checkSameLength('accuracy', yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

export function precision(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions = {},
): number {
  return score('precision', yTrue, yPred, options);
}

export function recall(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions = {},
): number {
  return score('recall', yTrue, yPred, options);
}

export function f1(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions = {},
): number {
  return score('f1', yTrue, yPred, options);
}

type Metric = 'precision' | 'recall' | 'f1';

function score(
  metric: Metric,
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions,
): number {
  checkSameLength(metric, yTrue, yPred);
  const labels = sortedLabels(yTrue, yPred);
  const average = options.average ?? (labels.length <= 2 ? 'binary' : 'macro');
  if (average === 'binary') {
    if (labels.length > 2) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `${metric}: average "binary" needs at most 2 labels, got ${labels.length}; use average "macro"`,
        { labels: labels.slice(0, 10) },
      );
    }
    const pos = options.posLabel ?? 1;
    if (labels.length === 2 && !labels.includes(pos)) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `${metric}: pos_label ${JSON.stringify(pos)} is not one of the labels ${JSON.stringify(labels)}`,
        { posLabel: pos, labels },
      );
    }
    return labelScore(metric, yTrue, yPred, pos);
  }
  let sum = 0;
  for (const label of labels) sum += labelScore(metric, yTrue, yPred, label);
  return sum / labels.length;
}

function labelScore(metric: Metric, yTrue: readonly Label[], yPred: readonly Label[], label: Label): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] === label;
    const p = yPred[i] === label;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  if (metric === 'precision') return ratio(tp, tp + fp);
  if (metric === 'recall') return ratio(tp, tp + fn);
  // sklearn computes F-beta from counts: (1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp).
  return ratio(2 * tp, 2 * tp + fn + fp);
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}
