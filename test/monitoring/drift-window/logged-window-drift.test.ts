/**
 * Drift over windows of the prediction log: the four scenarios of ../shared/fixtures/drift sent
 * through a real server, one hour apart, each window tested against the reference profiled from
 * the training set at registration. Also the same scenario as a file, the HTTP routes and the
 * self-contained HTML report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport, Slipway } from '../../../src/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { csvRows, DRIFT_DIR, infer, inferBody, ManualClock, openWithModel, serve } from '../helpers.js';

interface OracleColumn {
  ks_statistic: number;
  ks_pvalue: number;
}
const oracle = JSON.parse(fs.readFileSync(path.join(DRIFT_DIR, 'drift_oracle.json'), 'utf8')) as {
  scenarios: Record<
    string,
    { file: string; drifted_columns: string[]; columns: Record<string, OracleColumn> }
  >;
};
const SCENARIOS = ['none', 'mean_shift', 'scale', 'tiny_shift'] as const;
const HOUR = 3_600_000;

const clock = new ManualClock();
const t0 = clock.now();
let slipway: Slipway;
let server: RunningServer;

beforeAll(async () => {
  slipway = await openWithModel({ clock });
  server = await serve(slipway);
  for (const [k, name] of SCENARIOS.entries()) {
    clock.at = t0 + k * HOUR + 60_000;
    const { rows } = csvRows(fs.readFileSync(path.join(DRIFT_DIR, oracle.scenarios[name].file), 'utf8'));
    // 40 requests of 25 rows, 8 at a time.
    for (let start = 0; start < rows.length; start += 200) {
      await Promise.all(
        Array.from({ length: 8 }, async (_, j) => {
          const from = start + j * 25;
          const res = await infer(server, 'cancer', inferBody(rows.slice(from, from + 25)));
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        }),
      );
    }
  }
  await server.predictionLog!.flush();
  clock.at = t0 + 5 * HOUR;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await slipway?.close();
});

const windowOf = (k: number) => ({ from: t0 + k * HOUR, until: t0 + (k + 1) * HOUR });

describe.each(SCENARIOS.map((name, k) => [name, k] as const))('scenario %s', (name, k) => {
  let report: DriftReport;
  beforeAll(async () => {
    report = await slipway.monitoring.drift('cancer', windowOf(k), { predictions: false });
  }, 60_000);

  it('reads exactly the window of the scenario', () => {
    expect(report.current_rows).toBe(1000);
    expect(report.reference.rows).toBe(398);
    expect(report.number_of_columns).toBe(30);
  });

  it('flags exactly the columns the scenario shifted', () => {
    const flagged = Object.entries(report.columns)
      .filter(([, c]) => c.drifted)
      .map(([n]) => n)
      .sort();
    expect(flagged).toEqual([...oracle.scenarios[name].drifted_columns].sort());
    expect(report.dataset_drift).toBe(false); // at most 3 of 30 columns: under the 0.5 share
  });

  it("uses Evidently's default for a 398-row reference (KS, p < 0.05) and agrees with scipy on values the model saw (float32)", () => {
    for (const [column, c] of Object.entries(report.columns)) {
      const o = oracle.scenarios[name].columns[column];
      expect(c.method).toBe('ks');
      expect(c.threshold).toBe(0.05);
      // The log holds the float32 values the model saw; the oracle read float64 CSVs. A value can
      // only change sides of a reference value within float32 rounding: one rank at most.
      expect(Math.abs(c.statistic - o.ks_statistic)).toBeLessThanOrEqual(1 / 398 + 1e-12);
    }
  });
});

it('a scenario given as a file agrees with scipy to 1e-9 (no float32 rounding on that path)', async () => {
  const file = path.join(DRIFT_DIR, oracle.scenarios.mean_shift.file);
  const report = await slipway.monitoring.drift('cancer', { current: file }, { predictions: false });
  for (const [column, c] of Object.entries(report.columns)) {
    const o = oracle.scenarios.mean_shift.columns[column];
    expect(Math.abs(c.statistic - o.ks_statistic) / o.ks_statistic).toBeLessThan(1e-9);
  }
  expect(report.window.source).toBe('file');
});

it('tests prediction drift on the model outputs against its answers on the reference dataset', async () => {
  const report = await slipway.monitoring.drift('cancer', windowOf(1));
  expect(report.prediction).not.toBeNull();
  expect(Object.keys(report.prediction!.columns).sort()).toEqual([
    'label',
    'probabilities[0]',
    'probabilities[1]',
  ]);
  // The label has two values: Evidently's z-test for two categories on a small reference.
  expect(report.prediction!.columns.label.method).toBe('z');
  const reference = await slipway.monitoring.reference('cancer');
  expect(reference.outputs).toEqual(['label', 'probabilities[0]', 'probabilities[1]']);
});

it('answers over HTTP with the documented JSON shape', async () => {
  const w = windowOf(1);
  const res = await fetch(
    `${server.url}/api/v1/monitoring/drift?model=cancer&from=${w.from}&until=${w.until}&predictions=false`,
  );
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ dataset_drift: false, drift_share: 0.1, current_rows: 1000 });
  expect(body.columns.area_error).toMatchObject({ method: 'ks', threshold: 0.05, drifted: true });
  expect(Object.keys(body.columns.area_error).sort()).toEqual([
    'drifted',
    'kind',
    'method',
    'p_value',
    'statistic',
    'threshold',
  ]);
  const post = await fetch(`${server.url}/api/v1/monitoring/drift`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'cancer', ...w, method: 'wasserstein', predictions: false }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body
  const byWasserstein = (await post.json()) as any;
  expect(byWasserstein.columns.area_error).toMatchObject({
    method: 'wasserstein',
    threshold: 0.1,
    drifted: true,
  });
  const empty = await fetch(`${server.url}/api/v1/monitoring/drift?model=cancer&since=10m`);
  expect(empty.status).toBe(404);
  expect(((await empty.json()) as { code: string }).code).toBe('MONITORING_EMPTY_WINDOW');
});

it('writes a self-contained HTML report with both distributions per column, drifted first', async () => {
  const { report, html } = await slipway.monitoring.driftReport('cancer', windowOf(1));
  expect(html.startsWith('<!doctype html>')).toBe(true);
  const columns = [...html.matchAll(/data-column="([^"]+)" data-drifted="(true|false)"/g)].map((m) => [
    m[1],
    m[2],
  ]);
  expect(columns).toHaveLength(30 + 3);
  expect(columns.slice(0, 3).map((c) => c[1])).toEqual(['true', 'true', 'true']);
  expect(
    columns
      .slice(0, 3)
      .map((c) => c[0])
      .sort(),
  ).toEqual(['area_error', 'symmetry_error', 'worst_texture']);
  expect(columns.slice(3, 30).every((c) => c[1] === 'false')).toBe(true);
  // Every column draws its reference and current bars; nothing is fetched from elsewhere.
  expect((html.match(/<svg /g) ?? []).length).toBe(33);
  expect(html).toMatch(/<title>[^<]*: reference [\d.]+%<\/title>/);
  expect(html).toMatch(/<title>[^<]*: current [\d.]+%<\/title>/);
  expect(html).not.toMatch(/<script|<link|src=|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  expect(html).toContain('No dataset drift');
  expect(report.drifted_columns).toBe(3);
  // The same page over HTTP.
  const w = windowOf(1);
  const res = await fetch(
    `${server.url}/api/v1/monitoring/report?model=cancer&from=${w.from}&until=${w.until}`,
  );
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect((await res.text()).length).toBeGreaterThan(10_000);
});
