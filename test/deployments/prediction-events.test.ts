import { afterAll, expect, it } from 'vitest';
import { createServing, type PredictionEvent } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { holdoutRows, homeWithModels, v2Body } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it('names the deployment in every prediction it answers, over both protocols', async () => {
  const { slipway } = await homeWithModels();
  const serving = await createServing(slipway, { selection: null, workers: 1 });
  const events: PredictionEvent[] = [];
  const { app } = await createApp({
    slipway,
    repository: serving.repository,
    deployments: serving.deployments,
    predictions: { record: (e) => events.push(e) },
  });
  cleanups.push(
    () => slipway.close(),
    () => serving.close(),
    () => app.close(),
  );
  await slipway.deployments.create('web', { model: 'cancer:2' });
  const rows = holdoutRows().rows.slice(0, 2);
  const v2 = await app.inject({
    method: 'POST',
    url: '/v2/models/web/infer',
    headers: { 'x-request-id': 'a' },
    payload: v2Body(rows),
  });
  expect(v2.statusCode).toBe(200);
  const mlflow = await app.inject({
    method: 'POST',
    url: '/models/web/invocations',
    headers: { 'x-request-id': 'b' },
    payload: { inputs: rows },
  });
  expect(mlflow.statusCode).toBe(200);
  const direct = await app.inject({
    method: 'POST',
    url: '/v2/models/cancer/infer',
    headers: { 'x-request-id': 'c' },
    payload: v2Body(rows),
  });
  expect(direct.statusCode).toBe(200);
  expect(events.map((e) => [e.requestId, e.protocol, e.model, e.version, e.deployment])).toEqual([
    ['a', 'v2', 'cancer', 2, 'web'],
    ['b', 'mlflow', 'cancer', 2, 'web'],
    ['c', 'v2', 'cancer', 1, null],
  ]);
});
