import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { fixtureModelPath, fixtureSample, tempHome } from '../helpers/fixtures.js';

// Over a real socket the V2 infer route is answered by the node:http fast path; app.inject goes
// through fastify's route. Both must give the same answers, errors, headers and metrics.
let slipway: Slipway;
let serving: Awaited<ReturnType<typeof createServing>>;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome() });
  await slipway.registry.register({ name: 'gbdt', path: fixtureModelPath('breast_cancer_gbdt') });
  serving = await createServing(slipway, { selection: null, workers: 1 });
  ({ app } = await createApp({ slipway, repository: serving.repository, token: 'tok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  await serving?.close();
  await slipway?.close();
});

const rows = (fixtureSample('breast_cancer_gbdt').inputs.features as number[][]).slice(0, 3);
const auth = { authorization: 'Bearer tok' };

const cases: { what: string; url: string; body: string; headers?: Record<string, string> }[] = [
  {
    what: 'a good request',
    url: '/v2/models/gbdt/infer',
    body: JSON.stringify({
      id: 'x',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [3, 30], data: rows }],
    }),
  },
  {
    what: 'a pinned version with an output selection',
    url: '/v2/models/gbdt/versions/1/infer',
    body: JSON.stringify({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [3, 30], data: rows }],
      outputs: [{ name: 'label' }],
    }),
  },
  { what: 'an unknown model', url: '/v2/models/nope/infer', body: JSON.stringify({ inputs: [] }) },
  {
    what: 'a wrong shape',
    url: '/v2/models/gbdt/infer',
    body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
  },
  {
    what: 'one flat row, data before datatype, spaced out (read by the body reader)',
    url: '/v2/models/gbdt/infer',
    body: ` { "inputs" : [ { "data" : [ ${rows[1].join(' , ')} ] , "shape" : [ 1 , 30 ] , "name" : "features" , "datatype" : "FP32" } ] } `,
  },
  {
    what: 'a body the reader leaves to JSON.parse (a duplicate key)',
    url: '/v2/models/gbdt/infer',
    body: `{"inputs":[{"name":"features","datatype":"FP32","shape":[1,30],"data":[${rows[2].join(',')}]}],"x":1,"x":2}`,
  },
  {
    what: 'FP64 data for an FP32 input',
    url: '/v2/models/gbdt/infer',
    body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 30], data: rows[0] }] }),
  },
  {
    what: 'fewer values than the shape holds',
    url: '/v2/models/gbdt/infer',
    body: JSON.stringify({
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: rows[0].slice(1) }],
    }),
  },
  { what: 'no inputs', url: '/v2/models/gbdt/infer', body: '{}' },
  { what: 'no token', url: '/v2/models/gbdt/infer', body: '{}', headers: { authorization: 'Bearer wrong' } },
];

describe('the V2 fast path answers exactly like the fastify route', () => {
  for (const c of cases) {
    it(c.what, async () => {
      const headers = { 'content-type': 'application/json', 'x-request-id': 'req-1', ...auth, ...c.headers };
      const viaSocket = await fetch(base + c.url, { method: 'POST', headers, body: c.body });
      const viaInject = await app.inject({ method: 'POST', url: c.url, headers, payload: c.body });
      expect(viaSocket.status).toBe(viaInject.statusCode);
      expect(await viaSocket.json()).toEqual(viaInject.json());
      expect(viaSocket.headers.get('x-request-id')).toBe('req-1');
      expect(viaSocket.headers.get('x-model-version')).toBe(
        (viaInject.headers['x-model-version'] as string | undefined) ?? null,
      );
    });
  }

  it('answers one request after another with its own row (request tensors share slabs)', async () => {
    const sample = fixtureSample('breast_cancer_gbdt');
    const all = sample.inputs.features as number[][];
    const labels = sample.expected.label as number[];
    for (let i = 0; i < all.length; i++) {
      const res = await fetch(`${base}/v2/models/gbdt/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({
          inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: all[i] }],
        }),
      });
      const answer = (await res.json()) as { outputs: { name: string; data: number[] }[] };
      expect(answer.outputs.find((o) => o.name === 'label')!.data, `row ${i}`).toEqual([labels[i]]);
    }
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await fetch(`${base}/v2/models/gbdt/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: '{"inputs": [',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/JSON/);
  });

  it('counts fast-path requests in the same metrics', async () => {
    const before = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    const count = (text: string) =>
      Number(
        /slipway_requests_total\{model="gbdt",version="1",protocol="v2",status="200"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    await fetch(base + cases[0].url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: cases[0].body,
    });
    const after = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(count(after)).toBe(count(before) + 1);
  });
});
