/**
 * The drift tests slipway runs, named as Evidently names them (`stattest=` values), so that a
 * user coming from Evidently reads the same words and gets the same numbers.
 */

export const DRIFT_METHODS = ['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare', 'z'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

export const COLUMN_KINDS = ['numeric', 'categorical'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

interface DriftMethodInfo {
  /** What `threshold` is compared with. */
  readonly score: 'p_value' | 'distance';
  /** Evidently's `default_threshold` for the StatTest. */
  readonly defaultThreshold: number;
  /** Kinds the method accepts (a numeric column can always be treated as categories). */
  readonly kinds: readonly ColumnKind[];
  readonly description: string;
}

export const DRIFT_METHOD_INFO: Readonly<Record<DriftMethod, DriftMethodInfo>> = Object.freeze({
  ks: {
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['numeric'],
    description: 'two-sample Kolmogorov–Smirnov p-value (scipy.stats.ks_2samp, method=auto)',
  },
  wasserstein: {
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['numeric'],
    description: 'Wasserstein-1 distance divided by the reference population std (Evidently "wasserstein")',
  },
  psi: {
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['numeric', 'categorical'],
    description: 'population stability index over Evidently bins',
  },
  jensenshannon: {
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['numeric', 'categorical'],
    description: 'Jensen–Shannon distance, natural log (scipy.spatial.distance.jensenshannon, base=None)',
  },
  chisquare: {
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['numeric', 'categorical'],
    description: 'chi-square goodness of fit of current counts against reference shares',
  },
  z: {
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['numeric', 'categorical'],
    description: 'two-proportion Z-test (binary columns)',
  },
});

/** One column's test, as stored and as served (snake_case like the rest of the report JSON). */
export interface DriftTestResult {
  readonly method: DriftMethod;
  readonly statistic: number;
  /** The p-value for tests that have one; null for distances. */
  readonly p_value: number | null;
  readonly threshold: number;
  readonly drifted: boolean;
}

export function isDriftMethod(value: unknown): value is DriftMethod {
  return typeof value === 'string' && (DRIFT_METHODS as readonly string[]).includes(value);
}
