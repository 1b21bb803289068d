import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import {
  expectClose,
  FIXTURE_MODELS,
  fixtureMeta,
  fixtureModelPath,
  fixtureSample,
  modelName,
  shapeOf,
  tempHome,
} from '../helpers/fixtures.js';

const V2_DATATYPE: Record<string, string> = { float32: 'FP32', int64: 'INT64' };

let slipway: Slipway;
let serving: Awaited<ReturnType<typeof createServing>>;
let app: FastifyInstance;

beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome() });
  for (const m of FIXTURE_MODELS) {
    await slipway.registry.register({ name: modelName(m), path: fixtureModelPath(m) });
  }
  serving = await createServing(slipway, { selection: null, workers: 2 });
  ({ app } = await createApp({ slipway, repository: serving.repository }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

let base = '';

/**
 * The two ways an infer request arrives: fastify's route (app.inject: JSON.parse) and a real
 * socket, where the fast lane reads it and the V2 body reader decodes it.
 */
interface InferAnswer {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: { name: string; datatype: string; shape: number[]; data: number[] }[];
}

const TRANSPORTS: {
  name: string;
  post(url: string, payload: unknown): Promise<{ status: number; json: InferAnswer; text: string }>;
}[] = [
  {
    name: 'fastify route',
    async post(url, payload) {
      const res = await app.inject({ method: 'POST', url, payload: payload as object });
      return { status: res.statusCode, json: res.statusCode === 200 ? res.json() : null, text: res.body };
    },
  },
  {
    name: 'socket, fast lane and body reader',
    async post(url, payload) {
      const res = await fetch(base + url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const text = await res.text();
      return { status: res.status, json: res.status === 200 ? JSON.parse(text) : null, text };
    },
  },
];

afterAll(async () => {
  await app?.close();
  await serving?.close();
  await slipway?.close();
});

function v2Inputs(m: (typeof FIXTURE_MODELS)[number], rows?: [number, number]) {
  const meta = fixtureMeta(m);
  const sample = fixtureSample(m);
  return meta.inputs.map((i) => {
    const data = rows ? sample.inputs[i.name].slice(rows[0], rows[1]) : sample.inputs[i.name];
    return { name: i.name, datatype: V2_DATATYPE[i.dtype], shape: shapeOf(data), data };
  });
}

function checkOutputs(
  m: (typeof FIXTURE_MODELS)[number],
  outputs: { name: string; datatype: string; shape: number[]; data: number[] }[],
  rows: [number, number],
) {
  const sample = fixtureSample(m);
  for (const spec of fixtureMeta(m).outputs) {
    const out = outputs.find((o) => o.name === spec.name);
    expect(out, `output ${spec.name}`).toBeDefined();
    const expected = sample.expected[spec.name].slice(rows[0], rows[1]);
    expect(out!.shape).toEqual(shapeOf(expected));
    expect(out!.datatype).toBe(V2_DATATYPE[spec.dtype]);
    const flat = (expected as unknown[]).flat(Number.POSITIVE_INFINITY) as number[];
    if (spec.dtype === 'int64') expect(out!.data).toEqual(flat);
    else expectClose(out!.data, flat, 1e-4, `${m}.${spec.name}`);
  }
}

describe.each(TRANSPORTS)(
  'Open Inference Protocol ($name): fixtures answer like their frameworks',
  (transport) => {
    for (const m of FIXTURE_MODELS) {
      it(`${m}: one request holding every row`, async () => {
        const n = shapeOf(fixtureSample(m).inputs[fixtureMeta(m).inputs[0].name])[0];
        const res = await transport.post(`/v2/models/${modelName(m)}/infer`, {
          id: 'all-rows',
          inputs: v2Inputs(m),
        });
        expect(res.status, res.text).toBe(200);
        const body = res.json;
        expect(body.model_name).toBe(modelName(m));
        expect(body.model_version).toBe('1');
        expect(body.id).toBe('all-rows');
        checkOutputs(m, body.outputs, [0, n]);
      });

      it(`${m}: one concurrent request per row gets exactly its own row`, async () => {
        const n = shapeOf(fixtureSample(m).inputs[fixtureMeta(m).inputs[0].name])[0];
        const responses = await Promise.all(
          Array.from({ length: n }, (_, r) =>
            transport.post(`/v2/models/${modelName(m)}/versions/1/infer`, {
              id: `row-${r}`,
              inputs: v2Inputs(m, [r, r + 1]),
            }),
          ),
        );
        responses.forEach((res, r) => {
          expect(res.status, res.text).toBe(200);
          expect(res.json.id).toBe(`row-${r}`);
          checkOutputs(m, res.json.outputs, [r, r + 1]);
        });
      });
    }
  },
);

describe('Open Inference Protocol: routes', () => {
  it('answers health, server and model metadata', async () => {
    expect((await app.inject('/v2/health/live')).json()).toEqual({ live: true });
    expect((await app.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    const server = (await app.inject('/v2')).json();
    expect(server.name).toBe('slipway');
    expect(typeof server.version).toBe('string');
    const meta = (await app.inject('/v2/models/token-classifier')).json();
    expect(meta).toMatchObject({
      name: 'token-classifier',
      versions: ['1'],
      inputs: [
        { name: 'input_ids', datatype: 'INT64', shape: [-1, -1] },
        { name: 'attention_mask', datatype: 'INT64', shape: [-1, -1] },
      ],
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 3] }],
    });
    expect((await app.inject('/v2/models/breast-cancer-gbdt/versions/1/ready')).json()).toEqual({
      name: 'breast-cancer-gbdt',
      ready: true,
    });
    expect((await app.inject('/v2/models')).json().models).toEqual(FIXTURE_MODELS.map(modelName).sort());
  });

  it('returns only the requested outputs, and echoes parameters', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/breast-cancer-gbdt/infer',
      payload: {
        parameters: { tenant: 'a' },
        inputs: v2Inputs('breast_cancer_gbdt', [0, 3]),
        outputs: [{ name: 'label' }],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.parameters).toEqual({ tenant: 'a' });
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
    expect(body.outputs[0].data).toEqual(fixtureSample('breast_cancer_gbdt').expected.label.slice(0, 3));
  });

  it('accepts flat data with an explicit shape', async () => {
    const nested = fixtureSample('breast_cancer_mlp').inputs.features.slice(0, 2) as number[][];
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/breast-cancer-mlp/infer',
      payload: { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: nested.flat() }] },
    });
    expect(res.statusCode).toBe(200);
    checkOutputs('breast_cancer_mlp', res.json().outputs, [0, 2]);
  });

  it('echoes X-Request-Id, or makes one', async () => {
    const given = await app.inject({ url: '/v2/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ url: '/v2/health/live' });
    expect(String(made.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Open Inference Protocol: bad requests', () => {
  const cases: { what: string; url?: string; payload: unknown; status: number; message: RegExp }[] = [
    {
      what: 'unknown model',
      url: '/v2/models/nope/infer',
      payload: { inputs: [] },
      status: 404,
      message: /nope/,
    },
    {
      what: 'unknown version',
      url: '/v2/models/breast-cancer-mlp/versions/9/infer',
      payload: { inputs: [] },
      status: 404,
      message: /version 9/,
    },
    { what: 'no inputs array', payload: { data: [] }, status: 400, message: /"inputs" array/ },
    {
      what: 'unknown input',
      payload: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 30], data: new Array(30).fill(0) }] },
      status: 400,
      message: /"x"/,
    },
    {
      what: 'wrong shape',
      payload: {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 29], data: new Array(58).fill(0) }],
      },
      status: 400,
      message: /expected shape \[-1,30\], got \[2,29\]/,
    },
    {
      what: 'wrong datatype',
      payload: {
        inputs: [{ name: 'features', datatype: 'INT32', shape: [1, 30], data: new Array(30).fill(0) }],
      },
      status: 400,
      message: /FP32/,
    },
    {
      what: 'data length not matching the shape',
      payload: {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 30], data: new Array(59).fill(0) }],
      },
      status: 400,
      message: /60/,
    },
    {
      what: 'a string among numbers',
      payload: {
        inputs: [
          { name: 'features', datatype: 'FP32', shape: [1, 30], data: [...new Array(29).fill(0), 'x'] },
        ],
      },
      status: 400,
      message: /29|number/,
    },
    {
      what: 'unknown output',
      payload: {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: new Array(30).fill(0) }],
        outputs: [{ name: 'nope' }],
      },
      status: 400,
      message: /unknown output "nope"/,
    },
  ];
  for (const c of cases) {
    it(`${c.what} → ${c.status} with a message naming it`, async () => {
      const res = await app.inject({
        method: 'POST',
        url: c.url ?? '/v2/models/breast-cancer-mlp/infer',
        payload: c.payload as object,
      });
      expect(res.statusCode).toBe(c.status);
      expect(res.json().error).toMatch(c.message);
    });
  }

  it('malformed JSON → 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v2/models/breast-cancer-mlp/infer',
      headers: { 'content-type': 'application/json' },
      payload: '{"inputs": [',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBeTruthy();
  });

  it('still serves correctly after a burst of malformed requests', async () => {
    const burst = Array.from({ length: 200 }, (_, i) =>
      app.inject({
        method: 'POST',
        url: '/v2/models/breast-cancer-mlp/infer',
        headers: { 'content-type': 'application/json' },
        payload:
          i % 3 === 0
            ? '{"inputs": [{'
            : JSON.stringify({
                inputs: [
                  { name: 'features', datatype: 'FP32', shape: [1, 30], data: new Array(i % 29).fill(1) },
                ],
              }),
      }),
    );
    const statuses = (await Promise.all(burst)).map((r) => r.statusCode);
    expect(new Set(statuses)).toEqual(new Set([400]));
    const ok = await app.inject({
      method: 'POST',
      url: '/v2/models/breast-cancer-mlp/infer',
      payload: { inputs: v2Inputs('breast_cancer_mlp', [0, 4]) },
    });
    expect(ok.statusCode).toBe(200);
    checkOutputs('breast_cancer_mlp', ok.json().outputs, [0, 4]);
  });
});

describe('observability', () => {
  it('exports Prometheus metrics with model, version, protocol and status', async () => {
    const text = (await app.inject('/metrics')).body;
    expect(text).toMatch(
      /slipway_requests_total\{model="breast-cancer-mlp",version="1",protocol="v2",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /slipway_requests_total\{model="breast-cancer-mlp",version="1",protocol="v2",status="400"\} \d+/,
    );
    expect(text).toMatch(/slipway_request_duration_seconds_bucket\{le="0.005",model="breast-cancer-mlp"/);
    expect(text).toMatch(/slipway_batch_size_bucket/);
    expect(text).toMatch(/slipway_inflight_requests/);
    expect(text).toMatch(/slipway_process_resident_memory_bytes/);
  });

  it('documents every route in /openapi.json', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of [
      '/v2/health/live',
      '/v2/models/{name}/infer',
      '/v2/models/{name}/versions/{version}/infer',
      '/invocations',
      '/models/{name}/invocations',
      '/api/v1/models',
      '/api/v1/models/{name}/versions/{version}',
      '/metrics',
    ]) {
      expect(Object.keys(doc.paths), route).toContain(route);
    }
  });
});
