/**
 * The monitoring commands of the real CLI (run from sources through tsx) on a home whose
 * prediction log was filled in-process: feedback files with unknown ids, drift as JSON, the HTML
 * report, Parquet export, alert rules, and a usage error.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { PredictionEvent } from '../../../src/index.js';
import { tempHome } from '../../helpers/fixtures.js';
import { csvRows, DRIFT_DIR, openWithModel } from '../helpers.js';

const MAIN = path.resolve('src/cli/main.ts');
let home: string;

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--home', home, ...args], {
      env: { ...process.env, SLIPWAY_HOME: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(...args: string[]) {
  const r = await cli(...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  const slipway = await openWithModel();
  home = slipway.config.home;
  const { rows } = csvRows(fs.readFileSync(path.join(DRIFT_DIR, 'drift_mean_shift.csv'), 'utf8'));
  const meta = await slipway.registry.resolve('cancer');
  const writer = slipway.monitoring.createPredictionLog();
  rows.forEach((row, i) => {
    const event: PredictionEvent = {
      requestId: `m${i}`,
      protocol: 'v2',
      model: 'cancer',
      version: 1,
      deployment: null,
      receivedAt: Date.now(),
      latencyMs: 1,
      inputs: { features: { datatype: 'FP32', shape: [1, 30], data: Float32Array.from(row) } },
      outputs: {
        label: { datatype: 'INT64', shape: [1], data: BigInt64Array.of(BigInt(i % 2)) },
        probabilities: { datatype: 'FP32', shape: [1, 2], data: Float32Array.of(0.4, 0.6) },
      },
      featureNames: meta.metadata.featureNames as string[],
      predictionKey: null,
    };
    writer.record(event);
  });
  await writer.close();
  await slipway.close();
}, 60_000);

it('attaches a feedback CSV and reports the ids it does not know', async () => {
  const file = path.join(tempHome(), 'labels.csv');
  fs.writeFileSync(file, 'request_id,label\nm1,1\nm2,0\nnope,1\n');
  const out = JSON.parse(await ok('--json', 'feedback', file));
  expect(out).toEqual({
    received: 3,
    matched: 2,
    labelled_rows: 2,
    unknown_count: 1,
    unknown: [{ index: 2, request_id: 'nope', row: 0 }],
  });
  const human = await ok('feedback', file);
  expect(human).toMatch(/unknown:\s+1/);
  expect(human).toContain('nope');
});

it('prints drift as the documented JSON, and writes the HTML report', async () => {
  const drift = JSON.parse(
    await ok('monitor', 'drift', 'cancer', '--last', '1000', '--no-predictions', '--json'),
  );
  expect(drift).toMatchObject({ dataset_drift: false, drift_share: 0.1, current_rows: 1000 });
  const flagged = Object.entries(drift.columns as Record<string, { drifted: boolean }>)
    .filter(([, c]) => c.drifted)
    .map(([n]) => n)
    .sort();
  expect(flagged).toEqual(['area_error', 'symmetry_error', 'worst_texture']);
  const html = path.join(tempHome(), 'report.html');
  await ok('monitor', 'report', 'cancer', '--last', '1000', '--no-predictions', '--html', html);
  const page = fs.readFileSync(html, 'utf8');
  expect(page).toContain('area_error');
  expect((page.match(/<svg /g) ?? []).length).toBe(30);
});

it('exports the log to Parquet and manages alert rules', async () => {
  const out = path.join(tempHome(), 'log.parquet');
  const exported = JSON.parse(await ok('--json', 'monitor', 'export', '--since', '30d', '--out', out));
  expect(exported.rows).toBe(1000);
  expect(fs.statSync(out).size).toBe(exported.bytes);
  await ok(
    'alerts',
    'add',
    'drifty',
    '--model',
    'cancer',
    '--metric',
    'drift_share',
    '--op',
    '>=',
    '--threshold',
    '0.05',
    '--cooldown',
    '2h',
    '--slack',
    'http://127.0.0.1:9/hook',
  );
  const listed = JSON.parse(await ok('--json', 'alerts', 'list'));
  expect(listed.rules[0].rule).toMatchObject({
    name: 'drifty',
    metric: 'drift_share',
    op: '>=',
    threshold: 0.05,
    cooldown: '2h',
  });
  const bad = await cli('monitor', 'drift', 'cancer', '--since', '1h', '--last', '5');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: give one window/);
});
