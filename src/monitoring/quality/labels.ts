/**
 * Class labels as scikit-learn sees them: `np.unique` order (numbers ascending, strings by code
 * point), and the checks its metrics make before computing anything.
 */
import { SlipwayError } from '../../core/errors.js';

export type Label = string | number;

export function sortedLabels(...arrays: readonly (readonly Label[])[]): Label[] {
  const set = new Set<Label>();
  for (const a of arrays) for (const v of a) set.add(v);
  const labels = [...set];
  const numeric = labels.every((l) => typeof l === 'number');
  const text = labels.every((l) => typeof l === 'string');
  if (!numeric && !text) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', 'labels mix numbers and strings', {
      labels: labels.slice(0, 10),
    });
  }
  return numeric ? (labels as number[]).sort((a, b) => a - b) : (labels as string[]).sort(compareCodePoints);
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function checkSameLength(what: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `${what}: y_true has ${a.length} rows but the predictions have ${b.length}`,
      { yTrue: a.length, yPred: b.length },
    );
  }
  if (a.length === 0) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `${what}: no rows`, {});
  }
}
