import { afterAll, expect, it } from 'vitest';
import { createServing, openSlipway, type PredictionEvent } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { fixtureModelPath, fixtureSample, tempHome } from '../helpers/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it('hands every answered prediction, over both protocols, to the prediction sink', async () => {
  const slipway = await openSlipway({ home: tempHome() });
  await slipway.registry.register({ name: 'mlp', path: fixtureModelPath('breast_cancer_mlp') });
  const serving = await createServing(slipway, { selection: null, workers: 1 });
  const events: PredictionEvent[] = [];
  const { app } = await createApp({
    slipway,
    repository: serving.repository,
    predictions: { record: (e) => events.push(e) },
  });
  cleanups.push(
    () => slipway.close(),
    () => serving.close(),
    () => app.close(),
  );

  const rows = (fixtureSample('breast_cancer_mlp').inputs.features as number[][]).slice(0, 2);
  const v2 = await app.inject({
    method: 'POST',
    url: '/v2/models/mlp/infer',
    headers: { 'x-request-id': 'r-1' },
    payload: {
      parameters: { prediction_key: 'order-9' },
      inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: rows }],
    },
  });
  expect(v2.statusCode).toBe(200);
  const bad = await app.inject({ method: 'POST', url: '/v2/models/mlp/infer', payload: { inputs: [] } });
  expect(bad.statusCode).toBe(400);
  const mlflow = await app.inject({
    method: 'POST',
    url: '/invocations',
    headers: { 'x-request-id': 'r-2' },
    payload: { inputs: rows },
  });
  expect(mlflow.statusCode).toBe(200);

  // Only answered predictions are recorded, each with its id, model, version and tensors.
  expect(events.map((e) => [e.requestId, e.protocol, e.model, e.version, e.predictionKey])).toEqual([
    ['r-1', 'v2', 'mlp', 1, 'order-9'],
    ['r-2', 'mlflow', 'mlp', 1, null],
  ]);
  expect(events[0].inputs.features.shape).toEqual([2, 30]);
  expect(Array.from(events[0].outputs.probabilities.data as Float32Array)).toEqual(
    v2.json().outputs[0].data.map((x: number) => Math.fround(x)),
  );
  expect(events[0].latencyMs).toBeGreaterThan(0);
});
