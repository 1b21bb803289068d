/** Run one named drift test on one column pair. */
import { SlipwayError } from '../../core/errors.js';
import { chiSquareTest } from './chi-square.js';
import type { DriftColumn, NumericDriftColumn } from './drift-column.js';
import { DRIFT_METHOD_INFO, type DriftMethod, type DriftTestResult } from './drift-method.js';
import { jensenShannonTest } from './jensen-shannon.js';
import { ksTwoSample } from './ks-two-sample.js';
import { psiTest } from './psi.js';
import { wassersteinNormed } from './wasserstein.js';
import { zTest } from './z-test.js';

export function runDriftTest(
  method: DriftMethod,
  reference: DriftColumn,
  current: DriftColumn,
  threshold?: number,
): DriftTestResult {
  const t = threshold ?? DRIFT_METHOD_INFO[method].defaultThreshold;
  switch (method) {
    case 'ks': {
      const [r, c] = numericPair(method, reference, current);
      return ksTwoSample(r.sorted, c.sorted, { sorted: true, threshold: t });
    }
    case 'wasserstein': {
      const [r, c] = numericPair(method, reference, current);
      return wassersteinNormed(r.sorted, c.sorted, { sorted: true, referenceStd: r.std, threshold: t });
    }
    case 'psi':
      return psiTest(reference, current, t);
    case 'jensenshannon':
      return jensenShannonTest(reference, current, t);
    case 'chisquare':
      return chiSquareTest(reference, current, t);
    case 'z':
      return zTest(reference, current, t);
  }
}

function numericPair(
  method: DriftMethod,
  reference: DriftColumn,
  current: DriftColumn,
): [NumericDriftColumn, NumericDriftColumn] {
  if (reference.kind !== 'numeric' || current.kind !== 'numeric') {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `drift method "${method}" needs numeric columns, got ${reference.kind} (reference) and ${current.kind} (current)`,
      { method, reference: reference.kind, current: current.kind },
    );
  }
  return [reference, current];
}
