/**
 * `slipway deploy` and `slipway evaluate` as people run them, against a `slipway serve` child
 * process sharing the home: a change made by one CLI process is in force in the server process.
 * Each CLI run costs about a second of CPU (tsx), so setup goes through the library in-process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Slipway } from '../../src/index.js';
import { CANDIDATES, HOLDOUT, holdoutRows, homeWithModels, infer, until, v2Body } from './helpers.js';

const MAIN = path.resolve('src/cli/main.ts');
const children: ChildProcess[] = [];
let home: string;
let slipway: Slipway;
let url: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--home', home, ...args], {
      env: { ...process.env, SLIPWAY_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  ({ home, slipway } = await homeWithModels());
  await slipway.registry.register({ name: 'cancer', path: CANDIDATES.constant, codeVersion: 'test' }); // v3
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--home', home, 'serve', '--port', '0', '--workers', '1'],
    {
      env: { ...process.env, SLIPWAY_TOKEN: '', SLIPWAY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await slipway?.close();
});

const body = v2Body(holdoutRows().rows.slice(0, 1));

it('creates a deployment from the CLI that a running server process serves within 2 s', async () => {
  const created = await cli(['deploy', 'create', 'web', '--model', 'cancer@champion', '-m', 'launch']);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(created.stdout).toMatch(/revision:\s+1/);
  expect(created.stdout).toMatch(/traffic:\s+single: cancer@champion \(v1\)/);
  const started = Date.now();
  await until('the server serves web', async () => (await infer(url, 'web', body)).status === 200, 5000);
  expect(Date.now() - started).toBeLessThan(2000);
});

it('evaluates a version and prints its metrics', async () => {
  const r = await cli(['--json', 'evaluate', 'cancer:1', '--dataset', HOLDOUT, '--target', 'target']);
  expect(r.code).toBe(0);
  const e = JSON.parse(r.stdout);
  expect(e).toMatchObject({ model: 'cancer', version: 1, task: 'classification', rows: 171 });
  expect(e.metrics.accuracy).toBeGreaterThan(0.9);
});

it('runs a canary, refuses a promotion its gates fail with a report, and shows status and history', async () => {
  const gates = await cli([
    'deploy',
    'gates',
    'web',
    '--dataset',
    HOLDOUT,
    '--target',
    'target',
    '--min',
    'accuracy=0.9',
  ]);
  expect(gates.code).toBe(0);
  const canary = await cli([
    'deploy',
    'canary',
    'web',
    '--model',
    'cancer:3',
    '--weight',
    '10',
    '-m',
    'prior baseline',
  ]);
  expect(canary.code).toBe(0);
  await until(
    'the server serves revision 2',
    async () => (await infer(url, 'web', body)).revision === '2',
    5000,
  );

  const promote = await cli(['deploy', 'promote', 'web']);
  expect(promote.code).toBe(4);
  expect(promote.stdout).toMatch(/gates for cancer:3 against cancer:1: FAILED/);
  expect(promote.stdout).toMatch(/evaluation\.accuracy\.min\s+FAIL\s+0\.626\s+0\.9\s+0\.274/);
  expect(promote.stderr).toMatch(
    /^error: promotion of cancer:3 in "web" blocked by its gates: evaluation\.accuracy\.min/,
  );

  const [status, history] = await Promise.all([
    cli(['deploy', 'status', 'web']),
    cli(['--json', 'deploy', 'history', 'web']),
  ]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/traffic:\s+canary: cancer@champion \(v1\) 90% · cancer:3 10%/);
  expect(status.stdout).toMatch(/cancer:3\s+3\s+candidate\s+10%/);
  const revisions = JSON.parse(history.stdout) as {
    revision: number;
    action: string;
    actor: string;
    message: string;
  }[];
  expect(revisions.map((r) => [r.revision, r.action, r.actor, r.message])).toEqual([
    [1, 'create', 'local', 'launch'],
    [2, 'canary', 'local', 'prior baseline'],
  ]);
});
