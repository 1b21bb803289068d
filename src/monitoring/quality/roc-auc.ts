/**
 * Binary ROC AUC, equal to `sklearn.metrics.roc_auc_score(y_true, y_score)`: the positive class
 * is the larger of the two labels (sklearn binarizes with np.unique order), and tied scores count
 * one half — the Mann–Whitney statistic with mid-ranks, which is exactly the area under sklearn's
 * trapezoidal ROC curve with ties collapsed into one threshold.
 */
import { SlipwayError } from '../../core/errors.js';
import { checkSameLength, type Label, sortedLabels } from './labels.js';

export function rocAuc(
  yTrue: readonly Label[],
  yScore: ArrayLike<number>,
  options: { posLabel?: Label } = {},
): number {
  checkSameLength('roc_auc', yTrue, yScore);
  const labels = sortedLabels(yTrue);
  if (labels.length !== 2) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `roc_auc: y_true needs exactly 2 classes, got ${labels.length}; ROC AUC is not defined otherwise`,
      { labels: labels.slice(0, 10) },
    );
  }
  const pos = options.posLabel ?? labels[1];
  const n = yTrue.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(yScore[i])) {
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `roc_auc: y_score[${i}] is NaN`, { index: i });
    }
    order[i] = i;
  }
  order.sort((a, b) => yScore[a] - yScore[b]);
  // Sum of the (mid-)ranks of the positives.
  let rankSum = 0;
  let positives = 0;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && yScore[order[j]] === yScore[order[i]]) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (yTrue[order[k]] === pos) {
        rankSum += midRank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
