/**
 * The shared drift fixtures: breast-cancer training features as reference, four 1,000-row
 * windows as current, and scipy's answers in drift_oracle.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  detectDrift,
  ks2samp,
  profileFromColumns,
  wassersteinDistance,
  wassersteinNormed,
} from '../../../src/monitoring/index.js';
import { FIXTURES, readNumericCsv, relErr } from '../fixtures.js';

interface ColumnOracle {
  ks_statistic: number;
  ks_pvalue: number;
  wasserstein: number;
  wasserstein_norm: number;
}
interface Scenario {
  file: string;
  rows: number;
  drifted_columns: string[];
  columns: Record<string, ColumnOracle>;
}

const oracle = JSON.parse(readFileSync(`${FIXTURES}/drift/drift_oracle.json`, 'utf8')) as {
  scenarios: Record<string, Scenario>;
};
const reference = readNumericCsv(`${FIXTURES}/datasets/breast_cancer_train.csv`, ['target']);
const TOLERANCE = 1e-6;

describe.each(Object.entries(oracle.scenarios))('drift fixture %s', (name, scenario) => {
  const current = readNumericCsv(`${FIXTURES}/drift/${scenario.file}`);

  it('agrees with scipy on every column (KS statistic and p-value, Wasserstein, normed Wasserstein)', () => {
    expect(Object.keys(current).sort()).toEqual(Object.keys(reference).sort());
    for (const [column, o] of Object.entries(scenario.columns)) {
      const ks = ks2samp(reference[column], current[column]);
      expect(ks.method, column).toBe('exact');
      expect(relErr(ks.statistic, o.ks_statistic), `${column} ks statistic`).toBeLessThan(TOLERANCE);
      expect(relErr(ks.pValue, o.ks_pvalue), `${column} ks p-value`).toBeLessThan(TOLERANCE);
      const w = wassersteinDistance(reference[column], current[column]);
      expect(relErr(w, o.wasserstein), `${column} wasserstein`).toBeLessThan(TOLERANCE);
      const wn = wassersteinNormed(reference[column], current[column]);
      expect(relErr(wn.statistic, o.wasserstein_norm), `${column} wasserstein_norm`).toBeLessThan(TOLERANCE);
    }
  });

  it('flags exactly the drifted columns with the default method (KS: 398 reference rows <= 1000)', () => {
    const result = detectDrift(reference, current);
    const flagged = Object.entries(result.columns)
      .filter(([, c]) => c.drifted)
      .map(([c]) => c)
      .sort();
    expect(flagged).toEqual([...scenario.drifted_columns].sort());
    for (const c of Object.values(result.columns)) {
      expect(c.method).toBe('ks');
      expect(c.kind).toBe('numeric');
      expect(c.threshold).toBe(0.05);
    }
    expect(result.number_of_columns).toBe(30);
    expect(result.drifted_columns).toBe(scenario.drifted_columns.length);
    expect(result.share_threshold).toBe(0.5);
    // A handful of drifted columns out of 30 is column drift, not dataset drift.
    expect(result.dataset_drift).toBe(false);
    if (name === 'none' || name === 'tiny_shift') expect(result.drifted_columns).toBe(0);
  });

  it('gives the same answer from a stored reference profile (398 rows fit in its reservoir)', () => {
    const fromRaw = detectDrift(reference, current);
    const fromProfile = detectDrift(profileFromColumns(reference), current);
    expect(fromProfile).toEqual(fromRaw);
  });

  it('reports dataset drift once the drifted share reaches the threshold (>=, as Evidently)', () => {
    const share = scenario.drifted_columns.length / 30;
    expect(detectDrift(reference, current, { shareThreshold: share }).dataset_drift).toBe(true);
    expect(detectDrift(reference, current, { shareThreshold: share + 0.01 }).dataset_drift).toBe(false);
  });
});
