import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import {
  expectClose,
  FIXTURES,
  fixtureMeta,
  fixtureModelPath,
  fixtureSample,
  tempHome,
} from '../helpers/fixtures.js';

let slipway: Slipway;
let serving: Awaited<ReturnType<typeof createServing>>;
let app: FastifyInstance;

const features = fixtureMeta('breast_cancer_gbdt').feature_names!;
const sample = fixtureSample('breast_cancer_gbdt');
const rows = (sample.inputs.features as number[][]).slice(0, 5);
const expectedProba = (sample.expected.probabilities as number[][]).slice(0, 5);
const expectedLabel = (sample.expected.label as number[]).slice(0, 5);

beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome() });
  await slipway.registry.register({
    name: 'gbdt',
    path: fixtureModelPath('breast_cancer_gbdt'),
    dataset: path.join(FIXTURES, 'datasets', 'breast_cancer_train.csv'),
    target: 'target',
  });
  await slipway.registry.register({ name: 'cnn', path: fixtureModelPath('digits_cnn') });
  serving = await createServing(slipway, { selection: ['gbdt', 'cnn'], workers: 1 });
  ({ app } = await createApp({ slipway, repository: serving.repository, defaultModel: 'gbdt' }));
});

afterAll(async () => {
  await app?.close();
  await serving?.close();
  await slipway?.close();
});

function checkPredictions(predictions: { label: number; probabilities: number[] }[]) {
  expect(predictions).toHaveLength(5);
  expect(predictions.map((p) => p.label)).toEqual(expectedLabel);
  expectClose(
    predictions.flatMap((p) => p.probabilities),
    expectedProba.flat(),
    1e-4,
    'probabilities',
  );
}

describe('MLflow scoring protocol', () => {
  it('answers /ping, /health and /version', async () => {
    const ping = await app.inject('/ping');
    expect(ping.statusCode).toBe(200);
    expect((await app.inject('/health')).statusCode).toBe(200);
    const version = await app.inject('/version');
    expect(version.statusCode).toBe(200);
    expect(version.body).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('dataframe_split and dataframe_records give the same predictions, columns matched by name', async () => {
    // Columns reversed: the server must reorder them by the feature names recorded at registration.
    const reversed = [...features].reverse();
    const split = await app.inject({
      method: 'POST',
      url: '/invocations',
      payload: { dataframe_split: { columns: reversed, data: rows.map((r) => [...r].reverse()) } },
    });
    expect(split.statusCode, split.body).toBe(200);
    checkPredictions(split.json().predictions);
    const records = await app.inject({
      method: 'POST',
      url: '/models/gbdt/invocations',
      payload: { dataframe_records: rows.map((r) => Object.fromEntries(features.map((f, i) => [f, r[i]]))) },
    });
    expect(records.statusCode).toBe(200);
    expect(records.json()).toEqual(split.json());
  });

  it('accepts instances, inputs and text/csv', async () => {
    const instances = await app.inject({ method: 'POST', url: '/invocations', payload: { instances: rows } });
    expect(instances.statusCode, instances.body).toBe(200);
    checkPredictions(instances.json().predictions);
    const inputs = await app.inject({
      method: 'POST',
      url: '/invocations',
      payload: { inputs: { features: rows } },
    });
    expect(inputs.statusCode, inputs.body).toBe(200);
    checkPredictions(inputs.json().predictions);
    const csv = [features.join(','), ...rows.map((r) => r.join(','))].join('\n');
    const viaCsv = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(viaCsv.statusCode, viaCsv.body).toBe(200);
    checkPredictions(viaCsv.json().predictions);
  });

  it('serves a named 4-D model through inputs', async () => {
    const cnn = fixtureSample('digits_cnn');
    const res = await app.inject({
      method: 'POST',
      url: '/models/cnn/invocations',
      payload: { inputs: (cnn.inputs.image as unknown[]).slice(0, 3) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const logits = res.json().predictions.map((p: { logits: number[] }) => p.logits);
    expectClose(logits.flat(), (cnn.expected.logits as number[][]).slice(0, 3).flat(), 1e-4, 'logits');
  });

  it('refuses malformed requests with MLflow error bodies', async () => {
    const missing = await app.inject({
      method: 'POST',
      url: '/invocations',
      payload: { dataframe_split: { columns: features.slice(1), data: rows.map((r) => r.slice(1)) } },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(missing.json().message).toContain('"mean_radius"');

    const twoKeys = await app.inject({
      method: 'POST',
      url: '/invocations',
      payload: { instances: rows, inputs: rows },
    });
    expect(twoKeys.statusCode).toBe(400);
    expect(twoKeys.json().message).toMatch(/exactly one of/);

    const text = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);

    const unknown = await app.inject({
      method: 'POST',
      url: '/models/nope/invocations',
      payload: { instances: rows },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('native registry API', () => {
  it('lists models and shows versions with lineage', async () => {
    const list = (await app.inject('/api/v1/models')).json();
    expect(list.models.map((m: { name: string }) => m.name)).toEqual(['cnn', 'gbdt']);
    const v = (await app.inject('/api/v1/models/gbdt/versions/1')).json();
    expect(v.feature_names).toEqual(features);
    expect(v.datasets[0].rows).toBe(398);
    const missing = await app.inject('/api/v1/models/gbdt/versions/7');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('REGISTRY_VERSION_NOT_FOUND');
  });
});
