/**
 * Log loss (cross-entropy), as `sklearn.metrics.log_loss` (1.9): probabilities are clipped to
 * [eps, 1 - eps] with eps = the float64 machine epsilon (sklearn ≥ 1.5 uses
 * `np.finfo(y_pred.dtype).eps`, no longer 1e-15), not renormalised, and the loss is the mean of
 * -log p(true class). Classes are `labels` if given, else the labels in y_true, in np.unique
 * order. Binary predictions may be one probability per row (of the larger label, as sklearn).
 */
import { SlipwayError } from '../../core/errors.js';
import { checkSameLength, type Label, sortedLabels } from './labels.js';

const EPS = 2.220446049250313e-16;

export function logLoss(
  yTrue: readonly Label[],
  yProb: ArrayLike<number> | readonly ArrayLike<number>[],
  options: { labels?: readonly Label[] } = {},
): number {
  checkSameLength('log_loss', yTrue, yProb);
  const classes = sortedLabels(options.labels ?? yTrue);
  if (classes.length < 2) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `log_loss: y_true contains only one label (${JSON.stringify(classes[0])}); pass the labels explicitly`,
      { labels: classes },
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const k = index.get(yTrue[i]);
    if (k === undefined) {
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `log_loss: y_true[${i}] is not one of the labels`, {
        index: i,
      });
    }
    const row = (yProb as ArrayLike<unknown>)[i];
    let p: number;
    if (typeof row === 'number') {
      if (classes.length !== 2) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `log_loss: one probability per row needs 2 classes, got ${classes.length}`,
          { classes: classes.length },
        );
      }
      p = k === 1 ? row : 1 - row;
    } else {
      const r = row as ArrayLike<number>;
      if (r.length !== classes.length) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `log_loss: row ${i} has ${r.length} probabilities, expected ${classes.length} (one per class)`,
          { index: i, expected: classes.length, got: r.length },
        );
      }
      p = r[k];
    }
    const clipped = p < EPS ? EPS : Math.min(p, 1 - EPS);
    sum -= Math.log(clipped);
  }
  return sum / yTrue.length;
}
