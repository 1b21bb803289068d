/**
 * Drift of a whole dataset, column by column, in the shape of Evidently's DataDriftPreset
 * result: a dataset drifts when the share of drifted columns reaches `shareThreshold` (0.5),
 * `share_drifted_columns >= drift_share` as in Evidently's `get_dataset_drift`.
 *
 * Either side may be raw columns or a stored profile (`profileFromColumns`), so a model version's
 * reference profile can be compared with each new window without keeping the reference rows.
 */
import { SlipwayError } from '../../core/errors.js';
import { type DatasetProfile, isDatasetProfile, type RawColumns } from '../profile/dataset-profile.js';
import { defaultMethod, uniqueValuesOf } from './default-method.js';
import {
  assertNotEmpty,
  type DriftColumn,
  driftColumnFromProfile,
  driftColumnFromRaw,
} from './drift-column.js';
import {
  type ColumnKind,
  DRIFT_METHOD_INFO,
  type DriftMethod,
  type DriftTestResult,
} from './drift-method.js';
import { runDriftTest } from './run-drift-test.js';

export type DriftSource = RawColumns | DatasetProfile;

export interface ColumnDriftOptions {
  readonly method?: DriftMethod;
  readonly threshold?: number;
}

export interface DetectDriftOptions {
  /** Columns to compare (default: every reference column). */
  readonly columns?: readonly string[];
  /** Share of drifted columns at which the dataset drifts (default 0.5). */
  readonly shareThreshold?: number;
  /** One method for every column (default: Evidently's choice per column, see default-method.ts). */
  readonly method?: DriftMethod;
  /** One threshold for every column (default: the method's). */
  readonly threshold?: number;
  /** Per-column method and threshold; wins over `method` and `threshold`. */
  readonly perColumn?: Readonly<Record<string, ColumnDriftOptions>>;
}

export interface ColumnDriftResult extends DriftTestResult {
  readonly kind: ColumnKind;
}

export interface DatasetDriftResult {
  readonly dataset_drift: boolean;
  readonly drift_share: number;
  readonly drifted_columns: number;
  readonly number_of_columns: number;
  readonly share_threshold: number;
  readonly columns: Readonly<Record<string, ColumnDriftResult>>;
}

export const DEFAULT_DRIFT_SHARE = 0.5;

export function detectDrift(
  reference: DriftSource,
  current: DriftSource,
  options: DetectDriftOptions = {},
): DatasetDriftResult {
  const shareThreshold = options.shareThreshold ?? DEFAULT_DRIFT_SHARE;
  const names = options.columns ?? columnNames(reference);
  const columns: Record<string, ColumnDriftResult> = {};
  let drifted = 0;
  for (const name of names) {
    const ref = driftColumn(reference, name, 'reference');
    const cur = driftColumn(current, name, 'current');
    if (ref.kind !== cur.kind) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `column "${name}": reference is ${ref.kind} but current is ${cur.kind}`,
        { column: name, reference: ref.kind, current: cur.kind },
      );
    }
    assertNotEmpty(ref, name, 'reference');
    assertNotEmpty(cur, name, 'current');
    const own = options.perColumn?.[name];
    const method =
      own?.method ?? options.method ?? defaultMethod(ref.rows, ref.kind, uniqueValuesOf(ref, cur));
    if (!DRIFT_METHOD_INFO[method]) {
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `column "${name}": unknown drift method "${method}"`, {
        column: name,
        method,
      });
    }
    const threshold = own?.threshold ?? options.threshold;
    const result = runDriftTest(method, ref, cur, threshold);
    if (result.drifted) drifted++;
    columns[name] = { ...result, kind: ref.kind };
  }
  const n = names.length;
  const share = n === 0 ? 0 : drifted / n;
  return {
    dataset_drift: n > 0 && share >= shareThreshold,
    drift_share: share,
    drifted_columns: drifted,
    number_of_columns: n,
    share_threshold: shareThreshold,
    columns,
  };
}

function columnNames(source: DriftSource): string[] {
  return Object.keys(isDatasetProfile(source) ? source.columns : source);
}

function driftColumn(source: DriftSource, name: string, side: 'reference' | 'current'): DriftColumn {
  if (isDatasetProfile(source)) {
    const p = source.columns[name];
    if (!p) throw notFound(name, side);
    return driftColumnFromProfile(p);
  }
  const raw = (source as RawColumns)[name];
  if (!raw) throw notFound(name, side);
  return driftColumnFromRaw(raw);
}

function notFound(name: string, side: string): SlipwayError {
  return new SlipwayError('CORE_INVALID_ARGUMENT', `column "${name}" is not in the ${side} data`, {
    column: name,
    side,
  });
}
