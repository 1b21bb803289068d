import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type Slipway } from '../../src/index.js';
import { mlflowTrackingPlugin } from '../../src/server/protocols/mlflow-tracking.js';

/** The wire rules of protocols.md D.0, D.1, D.9 and D.12, and the registry bridge, via inject(). */
const FIXTURE_DIR = path.resolve('test/fixtures/mlflow-onnx-iris');
const API = '/api/2.0/mlflow';
const ART = '/api/2.0/mlflow-artifacts/artifacts';

let slipway: Slipway;
let app: FastifyInstance;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-mlflow-plugin-'));
  slipway = await openSlipway({ home });
  app = Fastify();
  await app.register(mlflowTrackingPlugin, { slipway });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await slipway.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function call(method: InjectOptions['method'], url: string, body?: unknown) {
  const res = await app.inject({
    method,
    url,
    ...(body === undefined
      ? {}
      : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

async function newRun(experimentId = '0') {
  const r = await call('POST', `${API}/runs/create`, { experiment_id: experimentId, start_time: 1000 });
  expect(r.status).toBe(200);
  return r.body.run.info as { run_id: string; artifact_uri: string };
}

async function upload(artifactPath: string, bytes: Buffer, type = 'application/octet-stream') {
  const res = await app.inject({
    method: 'PUT',
    url: `${ART}/${artifactPath}`,
    payload: bytes,
    headers: { 'content-type': type },
  });
  expect(res.statusCode).toBe(200);
}

async function uploadFixtureModel(prefix: string) {
  for (const name of fs.readdirSync(FIXTURE_DIR))
    await upload(`${prefix}/${name}`, fs.readFileSync(path.join(FIXTURE_DIR, name)));
}

describe('wire rules', () => {
  it('experiment 0 "Default" exists; ids are strings; empty fields are left out', async () => {
    const r = await call('GET', `${API}/experiments/get?experiment_id=0`);
    expect(r.status).toBe(200);
    expect(r.body.experiment).toMatchObject({
      experiment_id: '0',
      name: 'Default',
      lifecycle_stage: 'active',
      artifact_location: 'mlflow-artifacts:/0',
    });
    expect(r.body.experiment.tags).toBeUndefined();
  });

  it('refuses a POST without Content-Type or with another type, as MLflow does', async () => {
    const missing = await app.inject({
      method: 'POST',
      url: `${API}/experiments/create`,
      payload: '{"name":"x"}',
    });
    expect(missing.statusCode).toBe(400);
    const text = await app.inject({
      method: 'POST',
      url: `${API}/experiments/create`,
      payload: '{"name":"x"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(400);
    expect(JSON.parse(text.body)).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('Content-Type'),
    });
  });

  it('decodes a double-encoded body, answers {} for empty responses, and mounts /ajax-api too', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/ajax-api/2.0/mlflow/experiments/create`,
      payload: JSON.stringify(JSON.stringify({ name: 'double' })),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    const id = JSON.parse(res.body).experiment_id;
    const tag = await call('POST', `${API}/experiments/set-experiment-tag`, {
      experiment_id: id,
      key: 'k',
      value: 'v',
    });
    expect(tag).toMatchObject({ status: 200, body: {} });
  });

  it('takes int64 as strings, doubles as "NaN"/"Infinity", enum numbers, and gives them back MLflow-style', async () => {
    const run = await newRun();
    expect(
      (
        await call('POST', `${API}/runs/log-metric`, {
          run_id: run.run_id,
          key: 'm',
          value: 'NaN',
          timestamp: '123',
          step: '2',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('POST', `${API}/runs/log-metric`, {
          run_uuid: run.run_id,
          key: 'inf',
          value: 'Infinity',
          timestamp: 1,
        })
      ).status,
    ).toBe(200);
    const upd = await call('POST', `${API}/runs/update`, { run_id: run.run_id, status: 3, end_time: '2000' });
    expect(upd.body.run_info).toMatchObject({
      status: 'FINISHED',
      end_time: 2000,
      run_id: run.run_id,
      run_uuid: run.run_id,
    });
    const got = await call('GET', `${API}/runs/get?run_id=${run.run_id}`);
    const metrics = Object.fromEntries(got.body.run.data.metrics.map((m: { key: string }) => [m.key, m]));
    expect(metrics.m).toEqual({ key: 'm', value: 'NaN', timestamp: 123, step: 2 });
    expect(metrics.inf.value).toBe('Infinity');
  });

  it('reads repeated query keys as lists on GET search', async () => {
    const exp = (await call('POST', `${API}/experiments/create`, { name: 'listy' })).body.experiment_id;
    await newRun(exp);
    await newRun('0');
    const both = await call(
      'GET',
      `${API}/runs/search?experiment_ids=0&experiment_ids=${exp}&max_results=1000`,
    );
    const one = await call('GET', `${API}/runs/search?experiment_ids=${exp}`);
    expect(one.body.runs).toHaveLength(1);
    expect(both.body.runs.length).toBeGreaterThan(one.body.runs.length);
  });

  it('answers an unknown endpoint with ENDPOINT_NOT_FOUND and a bad filter with 400', async () => {
    expect(await call('GET', `${API}/nope`)).toMatchObject({
      status: 404,
      body: { error_code: 'ENDPOINT_NOT_FOUND' },
    });
    const bad = await call('POST', `${API}/runs/search`, { experiment_ids: ['0'], filter: 'metrics.x >' });
    expect(bad).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('enforces log-batch limits and keeps a failed batch from writing anything', async () => {
    const run = await newRun();
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'x' }));
    const r = await call('POST', `${API}/runs/log-batch`, { run_id: run.run_id, params: tooMany });
    expect(r).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    expect(r.body.message).toContain('at most 100 params');
    await call('POST', `${API}/runs/log-parameter`, { run_id: run.run_id, key: 'a', value: '1' });
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    const conflict = await call('POST', `${API}/runs/log-batch`, {
      run_id: run.run_id,
      metrics: metrics.slice(0, 899),
      params: [{ key: 'a', value: '2' }],
    });
    expect(conflict.status).toBe(400);
    expect(conflict.body.message).toMatch(
      /^Changing param values is not allowed\. Params were already logged=/,
    );
    const h = await call('GET', `${API}/metrics/get-history?run_id=${run.run_id}&metric_key=m`);
    expect(h.body).toEqual({});
    const ok = await call('POST', `${API}/runs/log-batch`, { run_id: run.run_id, metrics });
    expect(ok).toMatchObject({ status: 200, body: {} });
    const page = await call(
      'GET',
      `${API}/metrics/get-history?run_id=${run.run_id}&metric_key=m&max_results=400`,
    );
    expect(page.body.metrics).toHaveLength(400);
    expect(page.body.next_page_token).toBeTruthy();
  });

  it('refuses writes to a deleted run and restores it', async () => {
    const run = await newRun();
    await call('POST', `${API}/runs/delete`, { run_id: run.run_id });
    const w = await call('POST', `${API}/runs/set-tag`, { run_id: run.run_id, key: 'k', value: 'v' });
    expect(w).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    await call('POST', `${API}/runs/restore`, { run_id: run.run_id });
    expect(
      (await call('POST', `${API}/runs/set-tag`, { run_id: run.run_id, key: 'k', value: 'v' })).status,
    ).toBe(200);
  });
});

describe('artifact proxy', () => {
  it('stores, lists, downloads and deletes by path; the bytes come back as sent', async () => {
    const json = Buffer.from('{"not": "parsed"}');
    await upload('0/abc/artifacts/dir/x.json', json, 'application/json');
    await upload('0/abc/artifacts/top.bin', Buffer.from([0, 1, 2, 255]));
    const list = await call('GET', `${ART}?path=0/abc/artifacts`);
    expect(list.body).toEqual({
      files: [
        { path: 'dir', is_dir: true },
        { path: 'top.bin', is_dir: false, file_size: 4 },
      ],
    });
    const got = await app.inject({ method: 'GET', url: `${ART}/0/abc/artifacts/dir/x.json` });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(json)).toBe(true);
    expect(got.headers['content-disposition']).toBe('attachment; filename=x.json');
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect((await call('DELETE', `${ART}/0/abc/artifacts/dir`)).status).toBe(200);
    expect((await call('GET', `${ART}?path=0/abc/artifacts`)).body.files).toHaveLength(1);
    expect(await call('GET', `${ART}?path=0/nothing`)).toMatchObject({ status: 200, body: {} });
    expect(await call('GET', `${ART}/0/abc/artifacts/dir/x.json`)).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
  });

  // (inject() normalizes literal `..` and `%2e%2e` segments away as a URL parser does; the interop
  // suite sends those over a real socket, where they reach the handler and get 400.)
  it.each(['0/..%2F..%2Fetc/passwd', '0/%252e%252e/x', '0/a%5C..%5Cb', '0/a%00b', '0/a%23b'])(
    'refuses traversal in %s',
    async (p) => {
      const r = await app.inject({
        method: 'PUT',
        url: `${ART}/${p}`,
        payload: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(r.statusCode).toBe(400);
      expect(JSON.parse(r.body).error_code).toBe('INVALID_PARAMETER_VALUE');
    },
  );

  it('answers multipart with MLflow NOT_IMPLEMENTED message so clients fall back', async () => {
    const r = await call('POST', `/api/2.0/mlflow-artifacts/mpu/create/0/x/big.bin`, {
      path: 'big.bin',
      num_parts: 3,
    });
    expect(r).toEqual({
      status: 501,
      headers: expect.anything(),
      body: {
        error_code: 'NOT_IMPLEMENTED',
        message: 'Multipart upload is not supported for the current artifact repository',
      },
    });
  });

  it('lists a run artifact tree relative to the run root', async () => {
    const run = await newRun();
    const root = run.artifact_uri.replace('mlflow-artifacts:/', '');
    await upload(`${root}/plots/a.png`, Buffer.from('png'));
    const r = await call('GET', `${API}/artifacts/list?run_id=${run.run_id}&path=plots`);
    expect(r.body).toEqual({
      root_uri: run.artifact_uri,
      files: [{ path: 'plots/a.png', is_dir: false, file_size: 3 }],
    });
    expect((await call('GET', `${API}/artifacts/list?run_id=${run.run_id}&path=../x`)).status).toBe(400);
  });
});

describe('model registry over the one Registry', () => {
  async function loggedModel(runId: string) {
    const r = await call('POST', `${API}/logged-models`, {
      experiment_id: '0',
      name: 'model',
      source_run_id: runId,
    });
    expect(r.body.model.info).toMatchObject({ status: 'LOGGED_MODEL_PENDING', source_run_id: runId });
    expect(r.body.model.info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    return r.body.model.info as { model_id: string; artifact_uri: string };
  }

  it('registers a logged ONNX model READY, with the run lineage, and serves its download URI', async () => {
    const run = await newRun();
    await call('POST', `${API}/runs/log-batch`, {
      run_id: run.run_id,
      params: [{ key: 'C', value: '0.5' }],
      metrics: [{ key: 'accuracy', value: 0.97, timestamp: 1 }],
      tags: [{ key: 'mlflow.source.git.commit', value: 'c0ffee' }],
    });
    const m = await loggedModel(run.run_id);
    await uploadFixtureModel(m.artifact_uri.replace('mlflow-artifacts:/', ''));
    await call('PATCH', `${API}/logged-models/${m.model_id}`, {
      model_id: m.model_id,
      status: 'LOGGED_MODEL_READY',
    });
    expect((await call('POST', `${API}/registered-models/create`, { name: 'iris' })).status).toBe(200);
    const dup = await call('POST', `${API}/registered-models/create`, { name: 'iris' });
    expect(dup).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
    const mv = await call('POST', `${API}/model-versions/create`, {
      name: 'iris',
      source: `models:/${m.model_id}`,
      model_id: m.model_id,
    });
    expect(mv.body.model_version).toMatchObject({
      name: 'iris',
      version: '1',
      status: 'READY',
      run_id: run.run_id,
      model_id: m.model_id,
      current_stage: 'None',
    });
    const v = await slipway.registry.resolve('iris:1');
    expect(v.status).toBe('READY');
    expect(v.sourcePath).toBe(`models:/${m.model_id}`);
    expect(v.metadata.metrics).toEqual({ accuracy: 0.97 });
    expect((v.lineage as { codeVersion: { commit: string } }).codeVersion.commit).toBe('c0ffee');
    const uri = await call('GET', `${API}/model-versions/get-download-uri?name=iris&version=1`);
    expect(uri.body).toEqual({ artifact_uri: m.artifact_uri });
    const lm = await call('GET', `${API}/logged-models/${m.model_id}`);
    expect(lm.body.model.info.registrations).toEqual([{ name: 'iris', version: '1' }]);
  });

  it('keeps a version PENDING_REGISTRATION until its logged model is finalized, then READY', async () => {
    const run = await newRun();
    const m = await loggedModel(run.run_id);
    await call('POST', `${API}/registered-models/create`, { name: 'pending' });
    const mv = await call('POST', `${API}/model-versions/create`, {
      name: 'pending',
      source: `models:/${m.model_id}`,
      model_id: m.model_id,
    });
    expect(mv.body.model_version.status).toBe('PENDING_REGISTRATION');
    await uploadFixtureModel(m.artifact_uri.replace('mlflow-artifacts:/', ''));
    await call('PATCH', `${API}/logged-models/${m.model_id}`, { model_id: m.model_id, status: 2 });
    const got = await call('GET', `${API}/model-versions/get?name=pending&version=1`);
    expect(got.body.model_version.status).toBe('READY');
    expect((await slipway.registry.resolve('pending:1')).signature.inputs[0].name).toBe('features');

    const m2 = await loggedModel(run.run_id);
    await call('POST', `${API}/model-versions/create`, {
      name: 'pending',
      source: `models:/${m2.model_id}`,
      model_id: m2.model_id,
    });
    await call('PATCH', `${API}/logged-models/${m2.model_id}`, {
      model_id: m2.model_id,
      status: 'LOGGED_MODEL_UPLOAD_FAILED',
    });
    expect(
      (await call('GET', `${API}/model-versions/get?name=pending&version=2`)).body.model_version.status,
    ).toBe('FAILED_REGISTRATION');
  });

  it('keeps other flavors as NOT_SERVABLE versions that say why', async () => {
    const run = await newRun();
    const root = `${run.artifact_uri.replace('mlflow-artifacts:/', '')}/model`;
    await upload(
      `${root}/MLmodel`,
      Buffer.from(
        'flavors:\n  python_function: {loader_module: mlflow.sklearn}\n  sklearn: {pickled_model: model.pkl}\n',
      ),
    );
    await upload(`${root}/model.pkl`, Buffer.from('not really a pickle'));
    await call('POST', `${API}/registered-models/create`, { name: 'sk' });
    const mv = await call('POST', `${API}/model-versions/create`, {
      name: 'sk',
      source: `runs:/${run.run_id}/model`,
      run_id: run.run_id,
    });
    expect(mv.body.model_version).toMatchObject({
      status: 'READY',
      status_message: expect.stringContaining('not servable: flavor sklearn'),
    });
    expect((await slipway.registry.resolve('sk:1')).status).toBe('NOT_SERVABLE');
    const ext = await call('POST', `${API}/model-versions/create`, {
      name: 'sk',
      source: 's3://bucket/model',
    });
    expect(ext.body.model_version.status_message).toContain('outside slipway');
    const local = await call('POST', `${API}/model-versions/create`, { name: 'sk', source: '/tmp/model' });
    expect(local).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const traversal = await call('POST', `${API}/model-versions/create`, {
      name: 'sk',
      source: 'mlflow-artifacts:/0/../../x',
    });
    expect(traversal).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('aliases, stages, search, rename and delete behave as MLflow', async () => {
    const missing = await call('GET', `${API}/registered-models/alias?name=sk&alias=nope`);
    expect(missing).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias nope not found.' },
    });
    expect(
      (await call('POST', `${API}/registered-models/alias`, { name: 'sk', alias: 'champion', version: '1' }))
        .status,
    ).toBe(200);
    expect(
      (await call('GET', `${API}/registered-models/alias?name=sk&alias=champion`)).body.model_version.version,
    ).toBe('1');
    const staged = await call('POST', `${API}/model-versions/transition-stage`, {
      name: 'sk',
      version: '2',
      stage: 'production',
      archive_existing_versions: false,
    });
    expect(staged.body.model_version.current_stage).toBe('Production');
    const latest = await call('POST', `${API}/registered-models/get-latest-versions`, {
      name: 'sk',
      stages: ['Production'],
    });
    expect(latest.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    const found = await call(
      'GET',
      `${API}/registered-models/search?filter=${encodeURIComponent("name LIKE 'p%'")}`,
    );
    expect(found.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['pending']);
    const renamed = await call('POST', `${API}/registered-models/rename`, { name: 'sk', new_name: 'sk2' });
    expect(renamed.body.registered_model.name).toBe('sk2');
    const after = await call('GET', `${API}/model-versions/get?name=sk2&version=2`);
    expect(after.body.model_version).toMatchObject({
      current_stage: 'Production',
      source: 's3://bucket/model',
    });
    expect((await call('DELETE', `${API}/model-versions/delete`, { name: 'sk2', version: '2' })).status).toBe(
      200,
    );
    expect(await call('GET', `${API}/model-versions/get?name=sk2&version=2`)).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
    expect((await call('DELETE', `${API}/registered-models/delete`, { name: 'sk2' })).status).toBe(200);
    expect(await call('GET', `${API}/registered-models/get?name=sk2`)).toMatchObject({ status: 404 });
  });
});
