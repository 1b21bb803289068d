import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientEnv, ensureVenv, runScript } from './python-env.js';
import { startTrackingServer, type TrackingServer } from './tracking-server.js';

/**
 * The real `mlflow` Python client (3.x and the newest 2.x, pinned in python-env.ts) against
 * slipway's MLflow tracking API: the data scientist's whole script (tracking_flow.py), then the
 * error paths (error_paths.py), then what slipway's own registry made of the logged model.
 *
 * Warm run (venvs cached under .cache/venvs): about a minute. A cold run installs the clients
 * with pip first and prints its progress.
 */
const CLIENTS: ClientEnv[] = ['mlflow3', 'mlflow2'];

interface FlowResults {
  mlflow_version: string;
  experiment_id: string;
  run_id: string;
  artifact_listing: [string, boolean][];
  downloaded_artifact: unknown;
  model_uri: string;
  registered_version: string;
  alias_version: string;
  alias_version_status: string;
  alias_version_run_id: string;
  alias_version_source: string;
  search_model_versions: string[];
  registered_model_aliases: Record<string, string>;
  onnx_matches_sklearn: boolean;
  sample_inputs: number[][];
  sample_sklearn_labels: number[];
  sample_sklearn_proba: number[][];
  run_status: string;
  run_name: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  dataset_inputs: { name: string; digest: string; context: string }[];
  batch_history_len: number;
  batch_history_steps_ok: boolean;
  loss_history: [number, number][];
  search_paged: { seen: string[]; expected: string[]; pages: number };
  search_finished: string[];
  search_like: string[];
  search_in: boolean;
  search_pandas_len: number;
}

type ErrorResults = Record<
  string,
  {
    client_error_code?: string | null;
    client_message?: string;
    http_status?: number;
    http_error_code?: string;
  }
>;

let server: TrackingServer;
const pythons = new Map<ClientEnv, string>();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-interop-'));

beforeAll(async () => {
  // Both venvs at once: a cold pip install is mostly download time.
  const made = await Promise.all(CLIENTS.map(async (c) => [c, await ensureVenv(c)] as const));
  for (const [c, python] of made) pythons.set(c, python);
  server = await startTrackingServer();
}, 20 * 60_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(CLIENTS)('the %s client against slipway', (client) => {
  const modelName = `iris-${client}`;
  let flow: FlowResults;

  it('runs a whole tracking script: experiments, runs, params, metrics, tags, dataset, artifacts, model', async () => {
    const out = path.join(work, `${client}-flow.json`);
    await runScript(pythons.get(client)!, 'tracking_flow.py', [out, modelName], {
      MLFLOW_TRACKING_URI: server.url,
    });
    flow = JSON.parse(fs.readFileSync(out, 'utf8'));

    expect(flow.mlflow_version.startsWith(client === 'mlflow3' ? '3.' : '2.')).toBe(true);
    expect(flow.run_status).toBe('FINISHED');
    expect(flow.run_name).toBe('train-iris');
    expect(flow.params).toMatchObject({ C: '0.7', max_iter: '500', solver: 'lbfgs', batch_param: 'yes' });
    expect(flow.metrics.batch_metric).toBeCloseTo(0.999);
    expect(flow.metrics.loss).toBeCloseTo(0.05);
    expect(flow.tags).toMatchObject({
      team: 'ml-platform',
      stage: 'interop',
      batch_tag: 'yes',
      'mlflow.runName': 'train-iris',
      'mlflow.source.git.commit': '0123456789abcdef0123456789abcdef01234567',
    });
    expect(flow.dataset_inputs).toEqual([{ name: 'iris', digest: expect.any(String), context: 'training' }]);
    expect(flow.batch_history_len).toBe(1000);
    expect(flow.batch_history_steps_ok).toBe(true);
    expect(flow.loss_history).toHaveLength(20);
    expect(flow.loss_history[19]).toEqual([19, 0.05]);
    expect(flow.artifact_listing).toEqual([
      ['extras/a.txt', false],
      ['extras/sub', true],
    ]);
    expect(flow.downloaded_artifact).toEqual({ b: 1 });
  }, 240_000);

  it('registers the logged ONNX model in the one registry, with an alias the client can load', async () => {
    expect(flow.registered_version).toBe('1');
    expect(flow.alias_version).toBe('1');
    expect(flow.alias_version_status).toBe('READY');
    expect(flow.alias_version_run_id).toBe(flow.run_id);
    expect(flow.registered_model_aliases).toEqual({ champion: '1' });
    expect(flow.search_model_versions).toEqual(['1']);
    expect(flow.onnx_matches_sklearn).toBe(true);
    if (client === 'mlflow3') expect(flow.alias_version_source).toMatch(/^models:\/m-[0-9a-f]{32}$/);
    else
      expect(flow.alias_version_source).toMatch(/^mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts\/model$/);

    // The same version, seen from slipway's registry: servable, with signature and lineage.
    const v = await server.slipway.registry.resolve(`${modelName}@champion`);
    expect(v.status).toBe('READY');
    expect(v.runId).toBe(flow.run_id);
    expect(v.signature.inputs).toEqual([
      expect.objectContaining({ name: 'input', datatype: 'FP32', shape: [-1, 4] }),
    ]);
    const lineage = v.lineage as {
      codeVersion: { commit: string } | null;
      run: {
        params: Record<string, string>;
        metrics: Record<string, number>;
        datasets: { name: string; context: string }[];
      };
    };
    expect(lineage.codeVersion?.commit).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(lineage.run.params).toMatchObject({ C: '0.7', solver: 'lbfgs' });
    expect(lineage.run.metrics.accuracy).toBeGreaterThan(0.9);
    expect(lineage.run.datasets).toEqual([expect.objectContaining({ name: 'iris', context: 'training' })]);

    // The served bytes run in onnxruntime-node and give scikit-learn's own predictions.
    const bytes = await server.slipway.registry.servedModelBytes(v);
    const session = await ort.InferenceSession.create(bytes);
    const rows = flow.sample_inputs;
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
    const outputs = await session.run({ input });
    const label = Object.values(outputs).find((t) => t.type === 'int64')!;
    const proba = Object.values(outputs).find((t) => t.type === 'float32')!;
    expect(Array.from(label.data as BigInt64Array, Number)).toEqual(flow.sample_sklearn_labels);
    const p = Array.from(proba.data as Float32Array);
    for (const [i, x] of flow.sample_sklearn_proba.flat().entries()) expect(p[i]).toBeCloseTo(x, 4);
  });

  // The V2 part of "done when" is the `v2 inference` suite at the end of this file: the full
  // server (inference + this plugin) answering for the model the client just logged.

  it('finds runs with filters, ordering and page tokens', () => {
    expect(flow.search_paged.seen).toEqual(flow.search_paged.expected);
    expect(flow.search_paged.pages).toBe(3);
    expect(flow.search_finished).toEqual(['r00', 'r03', 'r06', 'r09', 'r12', 'r15', 'r18', 'r21']);
    expect(flow.search_like).toEqual(['r11', 'r12', 'r13', 'r14', 'r15', 'r16', 'r17', 'r18', 'r19']);
    expect(flow.search_in).toBe(true);
    expect(flow.search_pandas_len).toBe(11);
  });

  it('tours the rest of the client API: lifecycle, registry management, artifact trees, logged models', async () => {
    const out = path.join(work, `${client}-tour.json`);
    await runScript(pythons.get(client)!, 'client_tour.py', [out], { MLFLOW_TRACKING_URI: server.url });
    const { passed } = JSON.parse(fs.readFileSync(out, 'utf8')) as { passed: string[] };
    const expected = ['experiments', 'runs', 'artifacts', 'registry'];
    expect(passed).toEqual(client === 'mlflow3' ? [...expected, 'logged_models'] : expected);
  }, 120_000);

  it("answers every error path with MLflow's code and status", async () => {
    const out = path.join(work, `${client}-errors.json`);
    await runScript(pythons.get(client)!, 'error_paths.py', [out], { MLFLOW_TRACKING_URI: server.url });
    const e: ErrorResults = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(e.unknown_run).toMatchObject({
      client_error_code: 'RESOURCE_DOES_NOT_EXIST',
      http_status: 404,
      http_error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(e.duplicate_experiment).toMatchObject({
      client_error_code: 'RESOURCE_ALREADY_EXISTS',
      http_status: 400,
      http_error_code: 'RESOURCE_ALREADY_EXISTS',
    });
    expect(e.changed_param).toMatchObject({
      client_error_code: 'INVALID_PARAMETER_VALUE',
      http_status: 400,
      http_error_code: 'INVALID_PARAMETER_VALUE',
    });
    expect(e.changed_param.client_message).toContain('Changing param values is not allowed');
    expect(e.changed_param_batch.client_error_code).toBe('INVALID_PARAMETER_VALUE');
    // The client lists artifacts straight from the proxy and raises the HTTP error, as with mlflow server.
    expect(e.traversal).toMatchObject({
      client_error_code: 'HTTP 400',
      http_status: 400,
      http_error_code: 'INVALID_PARAMETER_VALUE',
    });
    expect(e.traversal_put).toMatchObject({ http_status: 400, http_error_code: 'INVALID_PARAMETER_VALUE' });
    expect(e.traversal_get).toMatchObject({ http_status: 400, http_error_code: 'INVALID_PARAMETER_VALUE' });
    expect(e.batch_limit).toMatchObject({ http_status: 400, http_error_code: 'INVALID_PARAMETER_VALUE' });
    expect(e.missing_artifact).toMatchObject({
      http_status: 404,
      http_error_code: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(e.multipart).toMatchObject({ http_status: 501, http_error_code: 'NOT_IMPLEMENTED' });
    expect(e.unknown_registered_model.client_error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(e.unknown_endpoint).toMatchObject({ http_status: 404, http_error_code: 'ENDPOINT_NOT_FOUND' });
    expect(e.bad_filter.client_error_code).toBe('INVALID_PARAMETER_VALUE');
    // Nothing escaped the artifact root.
    expect(fs.existsSync(path.join(server.home, '..', 'escape.txt'))).toBe(false);
  }, 120_000);
});

/**
 * V2 INFERENCE CHECK — the same model, logged with `mlflow.onnx.log_model(..., registered_model_name=...)`
 * above, answers a V2 inference request on slipway's full server (inference runtime + V2 + the
 * MLflow tracking API, as `slipway serve` runs them) with scikit-learn's
 * own predictions.
 */
describe('v2 inference of the models the clients logged', () => {
  it.each(CLIENTS)(
    '%s: POST /v2/models/<name>/infer gives scikit-learn predictions',
    async (client) => {
      const flow: FlowResults = JSON.parse(fs.readFileSync(path.join(work, `${client}-flow.json`), 'utf8'));
      const { startServer } = await import('../../src/server/index.js');
      const full = await startServer(server.slipway, {
        port: 0,
        host: '127.0.0.1',
        selection: [`iris-${client}@champion`],
        workers: 1,
      });
      try {
        const rows = flow.sample_inputs;
        const res = await fetch(`${full.url}/v2/models/iris-${client}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            inputs: [{ name: 'input', shape: [rows.length, 4], datatype: 'FP32', data: rows.flat() }],
          }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { outputs: { name: string; datatype: string; data: number[] }[] };
        const label = body.outputs.find((o) => o.datatype === 'INT64')!;
        expect(label.data.map(Number)).toEqual(flow.sample_sklearn_labels);
        // The tracking API is there too, on the same port.
        const exp = await fetch(`${full.url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
        expect(((await exp.json()) as { experiment: { name: string } }).experiment.name).toBe('Default');
      } finally {
        await full.close();
      }
    },
    120_000,
  );
});
