/**
 * The statistics core of monitoring: mergeable column profiles, drift tests and model quality
 * metrics. Everything here is pure (no I/O, no module state); the stores and the scheduler that
 * run it over prediction-log windows live elsewhere.
 */

export { type BinnedPercents, binnedPercents, pairedCounts } from './drift/binned-percents.js';
export { type ChiSquareResult, chiSquare, chiSquareTest } from './drift/chi-square.js';
export { chi2Sf } from './drift/chi2-distribution.js';
export { defaultMethod, uniqueValuesOf } from './drift/default-method.js';
export {
  type ColumnDriftOptions,
  type ColumnDriftResult,
  type DatasetDriftResult,
  DEFAULT_DRIFT_SHARE,
  type DetectDriftOptions,
  type DriftSource,
  detectDrift,
} from './drift/detect-drift.js';
export {
  type CategoricalDriftColumn,
  type DriftColumn,
  driftColumnFromCounts,
  driftColumnFromProfile,
  driftColumnFromRaw,
  type NumericDriftColumn,
} from './drift/drift-column.js';
export {
  COLUMN_KINDS,
  type ColumnKind,
  DRIFT_METHOD_INFO,
  DRIFT_METHODS,
  type DriftMethod,
  type DriftTestResult,
  isDriftMethod,
} from './drift/drift-method.js';
export { jensenShannonDistance, jensenShannonTest } from './drift/jensen-shannon.js';
export { kolmogorovCdf, kolmogorovSf } from './drift/kolmogorov-distribution.js';
export { type KsOptions, type KsResult, ks2samp, ksStatistic, ksTwoSample } from './drift/ks-two-sample.js';
export { normalCdf } from './drift/normal-distribution.js';
export { psi, psiTest } from './drift/psi.js';
export { runDriftTest } from './drift/run-drift-test.js';
export { smirnovSf } from './drift/smirnov-distribution.js';
export { sortedFinite } from './drift/sorted-finite.js';
export { populationStd, wassersteinDistance, wassersteinNormed } from './drift/wasserstein.js';
export { twoProportionZ, twoSidedZPValue, zTest } from './drift/z-test.js';
export type { CategoryCounts } from './profile/category-counts.js';
export {
  type CategoricalColumnProfile,
  type ColumnProfile,
  linearQuantile,
  type NumericColumnProfile,
  QUANTILE_LEVELS,
  type QuantileName,
  type Quantiles,
} from './profile/column-profile.js';
export {
  type DatasetProfile,
  isDatasetProfile,
  mergeProfiles,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  type ProfileOptions,
  profileFromColumns,
  type RawColumn,
  type RawColumns,
} from './profile/dataset-profile.js';
export type { FixedHistogram } from './profile/fixed-histogram.js';
export { type KllSketch, kllQuantiles } from './profile/kll-sketch.js';
export {
  type ColumnProfileJSON,
  type DatasetProfileJSON,
  fromJSON,
  toJSON,
} from './profile/profile-json.js';
export type { ReservoirSample } from './profile/reservoir-sample.js';

export {
  type Average,
  accuracy,
  type ClassificationOptions,
  f1,
  precision,
  recall,
} from './quality/classification-metrics.js';
export type { Label } from './quality/labels.js';
export { logLoss } from './quality/log-loss.js';
export {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  r2Score,
  rootMeanSquaredError,
} from './quality/regression-metrics.js';
export { rocAuc } from './quality/roc-auc.js';
