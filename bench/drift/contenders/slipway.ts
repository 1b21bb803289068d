/** slipway contender: detectDrift on raw columns, default methods and KS for every column. */
import { type DatasetDriftResult, detectDrift, profileFromColumns } from '../../../src/monitoring/index.js';
import type { BenchData } from '../data/generate.js';

export interface Timed {
  readonly ms: number;
  readonly drifted: number;
}

function timed(run: () => DatasetDriftResult): Timed {
  const t0 = performance.now();
  const r = run();
  return { ms: performance.now() - t0, drifted: r.drifted_columns };
}

export function runSlipway(data: BenchData) {
  const byDefault = timed(() => detectDrift(data.reference, data.current));
  const ks = timed(() => detectDrift(data.reference, data.current, { method: 'ks' }));
  // From a stored reference profile (a 10,000-value reservoir per column) against the raw window.
  let t0 = performance.now();
  const referenceProfile = profileFromColumns(data.reference);
  const profileMs = performance.now() - t0;
  const fromProfile = timed(() => detectDrift(referenceProfile, data.current));
  t0 = performance.now();
  profileFromColumns(data.current, { reference: referenceProfile });
  const currentProfileMs = performance.now() - t0;
  return { byDefault, ks, fromProfile, profileMs, currentProfileMs };
}
