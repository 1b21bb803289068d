/** Helpers of the monitoring system tests: a registered model with its training set, a server, a clock. */
import path from 'node:path';
import type { Clock } from '../../src/core/clock.js';
import { openSlipway, type Slipway } from '../../src/index.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { FIXTURES, fixtureModelPath, tempHome } from '../helpers/fixtures.js';

export const TRAIN_CSV = path.join(FIXTURES, 'datasets/breast_cancer_train.csv');
export const HOLDOUT_CSV = path.join(FIXTURES, 'datasets/breast_cancer_holdout.csv');
export const DRIFT_DIR = path.join(FIXTURES, 'drift');

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public at = Date.UTC(2026, 0, 5, 12)) {}
  now(): number {
    return this.at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

export const DAY = 86_400_000;

export async function openWithModel(
  options: {
    clock?: Clock;
    model?: 'breast_cancer_gbdt' | 'breast_cancer_mlp';
    name?: string;
    metrics?: Record<string, number>;
  } = {},
): Promise<Slipway> {
  const slipway = await openSlipway({ home: tempHome(), clock: options.clock });
  await slipway.registry.register({
    name: options.name ?? 'cancer',
    path: fixtureModelPath(options.model ?? 'breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
    metrics: options.metrics,
  });
  return slipway;
}

export async function serve(slipway: Slipway, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer(slipway, {
    port: 0,
    host: '127.0.0.1',
    selection: null,
    workers: 1,
    monitoring: { scheduler: false },
    ...options,
  });
}

/** Rows of a numeric CSV (header first), without the columns named in `drop`. */
export function csvRows(text: string, drop: string[] = []): { header: string[]; rows: number[][] } {
  const lines = text.trim().split(/\r?\n/);
  const all = lines[0].split(',');
  const keep = all.map((h, i) => (drop.includes(h) ? -1 : i)).filter((i) => i >= 0);
  return {
    header: keep.map((i) => all[i]),
    rows: lines.slice(1).map((l) => {
      const cells = l.split(',');
      return keep.map((i) => Number(cells[i]));
    }),
  };
}

export function inferBody(rows: number[][], parameters?: Record<string, unknown>) {
  return JSON.stringify({
    ...(parameters ? { parameters } : {}),
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, rows[0].length], data: rows.flat() }],
  });
}

/** POSTs `body` to the server's V2 infer route. */
export async function infer(
  server: RunningServer,
  model: string,
  body: string,
  requestId?: string,
): Promise<Response> {
  return fetch(`${server.url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body,
  });
}
