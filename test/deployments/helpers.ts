import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { openSlipway, type ServingOptions, type Slipway } from '../../src/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FIXTURES, fixtureModelPath, tempHome } from '../helpers/fixtures.js';

/** Candidate models made by test/fixtures/deployments/make_models.py, named for their behaviour. */
export const CANDIDATES = {
  /** Fails in onnxruntime for rows whose first feature (mean_radius) exceeds 17. */
  erratic: path.resolve('test/fixtures/deployments/erratic-classifier.onnx'),
  /** Tens of milliseconds per batch (a Loop). */
  slow: path.resolve('test/fixtures/deployments/slow-classifier.onnx'),
  /** Answers the class prior for every row: accuracy ~0.63, ROC AUC 0.5. */
  constant: path.resolve('test/fixtures/deployments/constant-classifier.onnx'),
} as const;

export const HOLDOUT = path.join(FIXTURES, 'datasets', 'breast_cancer_holdout.csv');
export const TRAIN = path.join(FIXTURES, 'datasets', 'breast_cancer_train.csv');

/** The holdout features (30 floats per row, the models' input order) and targets. */
export function holdoutRows(): { rows: number[][]; targets: number[] } {
  const [, ...records] = parseCsv(fs.readFileSync(HOLDOUT), { skip_empty_lines: true }) as string[][];
  return {
    rows: records.map((r) => r.slice(0, 30).map(Number)),
    targets: records.map((r) => Number(r[30])),
  };
}

/** Rows the erratic candidate answers (mean_radius ≤ 17) and rows it fails on. */
export function splitByRadius(): { safe: number[][]; failing: number[][] } {
  const { rows } = holdoutRows();
  return { safe: rows.filter((r) => r[0] <= 17), failing: rows.filter((r) => r[0] > 17) };
}

export function v2Body(rows: number[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, 30], data: rows }] };
}

/** A home with `cancer` v1 = the breast-cancer MLP (champion), v2 = the GBDT. */
export async function homeWithModels(): Promise<{ home: string; slipway: Slipway }> {
  const home = tempHome();
  const slipway = await openSlipway({ home });
  await slipway.registry.register({
    name: 'cancer',
    path: fixtureModelPath('breast_cancer_mlp'),
    aliases: ['champion'],
    codeVersion: 'test',
  });
  await slipway.registry.register({
    name: 'cancer',
    path: fixtureModelPath('breast_cancer_gbdt'),
    codeVersion: 'test',
  });
  return { home, slipway };
}

export async function serve(
  slipway: Slipway,
  deployments: ServingOptions['deployments'] = { pollMs: 200 },
  extra: { token?: string } = {},
): Promise<RunningServer> {
  return startServer(slipway, {
    port: 0,
    host: '127.0.0.1',
    selection: null,
    workers: 1,
    deployments,
    token: extra.token ?? null,
    tokenName: extra.token ? 'ci-bot' : null,
  });
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  version: string | null;
  revision: string | null;
}

export async function infer(
  base: string,
  name: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}/v2/models/${name}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    version: res.headers.get('x-model-version'),
    revision: res.headers.get('x-deployment-revision'),
  };
}

export async function api(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

/** A real HTTP server that collects the JSON bodies POSTed to it: the alert receiver. */
export async function webhookReceiver(): Promise<{
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
