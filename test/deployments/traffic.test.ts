import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Slipway } from '../../src/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { fixtureModelPath } from '../helpers/fixtures.js';
import {
  api,
  CANDIDATES,
  holdoutRows,
  homeWithModels,
  infer,
  serve,
  splitByRadius,
  until,
  v2Body,
} from './helpers.js';

// One server with a token for the whole file: canary weights, sticky A/B, shadows, the response
// headers, the API's identity and the protocol paths (fast path, fastify route, MLflow).
let slipway: Slipway;
let server: RunningServer;
let base: string;
const auth = { authorization: 'Bearer tok' };
const { rows } = holdoutRows();

beforeAll(async () => {
  ({ slipway } = await homeWithModels());
  await slipway.registry.register({ name: 'erratic', path: CANDIDATES.erratic, codeVersion: 'test' });
  await slipway.registry.register({
    name: 'tokens',
    path: fixtureModelPath('token_classifier'),
    codeVersion: 'test',
  });
  server = await serve(slipway, { pollMs: 200 }, { token: 'tok' });
  base = server.url;
});

afterAll(async () => {
  await server?.close();
  await slipway?.close();
});

describe('a deployment endpoint', () => {
  it('is created through the API, refuses a model name, and records who made each revision', async () => {
    const created = await api(
      base,
      'POST',
      '/api/v1/deployments',
      { name: 'web', model: 'cancer@champion', message: 'launch' },
      auth,
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ revision: 1, actor: 'ci-bot', action: 'create', message: 'launch' });
    const clash = await api(base, 'POST', '/api/v1/deployments', { name: 'cancer', model: 'cancer:1' }, auth);
    expect(clash.status).toBe(409);
    expect(clash.json.code).toBe('DEPLOYMENTS_EXISTS');
    expect(String(clash.json.message)).toMatch(/registered model/);

    const a = await infer(base, 'web', v2Body(rows.slice(0, 2)), auth);
    expect(a.status).toBe(200);
    expect(a).toMatchObject({ version: '1', revision: '1' });
    expect(a.body).toMatchObject({ model_name: 'cancer', model_version: '1' });

    // V2 clients that check readiness and metadata first see the deployment like a model.
    const get = async (url: string) => (await fetch(base + url, { headers: auth })).json();
    expect(await get('/v2/models/web/ready')).toEqual({ name: 'web', ready: true });
    expect(await get('/v2/models/web')).toMatchObject({
      name: 'web',
      versions: ['1'],
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 30] }],
    });
    expect(((await get('/v2/models')) as { models: string[] }).models).toEqual([
      'cancer',
      'erratic',
      'tokens',
      'web',
    ]);
  });

  it('answers the same on the node:http fast path, the fastify route and MLflow scoring', async () => {
    const body = JSON.stringify(v2Body(rows.slice(0, 3), { id: 'x' }));
    const headers = { 'content-type': 'application/json', 'x-request-id': 'r1', ...auth };
    const viaSocket = await fetch(`${base}/v2/models/web/infer`, { method: 'POST', headers, body });
    const viaInject = await server.app.inject({
      method: 'POST',
      url: '/v2/models/web/infer',
      headers,
      payload: body,
    });
    expect(viaSocket.status).toBe(200);
    expect(await viaSocket.json()).toEqual(viaInject.json());
    for (const h of ['x-model-version', 'x-deployment-revision', 'x-request-id']) {
      expect(viaSocket.headers.get(h)).toBe(viaInject.headers[h]);
    }
    // A version of the live revision can be asked for by number; another is a 404.
    expect((await infer(base, 'web/versions/1', v2Body(rows.slice(0, 1)), auth)).status).toBe(200);
    const other = await infer(base, 'web/versions/2', v2Body(rows.slice(0, 1)), auth);
    expect(other.status).toBe(404);
    expect(String(other.body.error)).toMatch(/does not answer with version "2"/);

    const mlflow = await fetch(`${base}/models/web/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ inputs: rows.slice(0, 2) }),
    });
    expect(mlflow.status).toBe(200);
    expect(mlflow.headers.get('x-model-version')).toBe('1');
    expect(mlflow.headers.get('x-deployment-revision')).toBe('1');
    const json = (await mlflow.json()) as { predictions: unknown[]; model_version: string };
    expect(json.model_version).toBe('1');
    expect(json.predictions).toHaveLength(2);
  });
});

describe('canary', () => {
  it('sends the candidate its weight: 10,000 requests within 3 standard deviations of the binomial', async () => {
    const canary = await api(
      base,
      'POST',
      '/api/v1/deployments/web/canary',
      { model: 'cancer:2', weight: 10 },
      auth,
    );
    expect(canary.status).toBe(200);
    const counts: Record<string, number> = {};
    let inconsistent = 0;
    const result = await autocannon({
      url: `${base}/v2/models/web/infer`,
      connections: 32,
      amount: 10_000,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(v2Body(rows.slice(0, 1))),
      requests: [
        {
          onResponse: (status, body, _context, headers) => {
            const h = headers as Record<string, string>;
            const version = h['x-model-version'];
            counts[`${status}:${version}`] = (counts[`${status}:${version}`] ?? 0) + 1;
            if (JSON.parse(body).model_version !== version || h['x-deployment-revision'] !== '2')
              inconsistent++;
          },
        },
      ],
    });
    expect(result.errors + result.timeouts + result.non2xx).toBe(0);
    expect(inconsistent).toBe(0);
    const n = 10_000;
    expect((counts['200:1'] ?? 0) + (counts['200:2'] ?? 0)).toBe(n);
    const sd = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs((counts['200:2'] ?? 0) - n * 0.1)).toBeLessThan(3 * sd);

    // deploy status sees the same split (counters flushed to the store each poll).
    const status = await until('status counts', async () => {
      const s = await api(base, 'GET', '/api/v1/deployments/web', undefined, auth);
      const targets = s.json.targets as { traffic: { requests: number }[] }[];
      const total = targets.reduce((sum, t) => sum + t.traffic.reduce((a, v) => a + v.requests, 0), 0);
      return total >= n ? s.json : null;
    });
    const [primary, candidate] = status.targets as {
      role: string;
      traffic: { share: number; p99_ms: number }[];
    }[];
    expect(primary.role).toBe('primary');
    expect(candidate.traffic[0].share).toBeGreaterThan(0.1 - (3 * sd) / n);
    expect(candidate.traffic[0].share).toBeLessThan(0.1 + (3 * sd) / n);
    expect(candidate.traffic[0].p99_ms).toBeGreaterThan(0);
  });
});

describe('A/B', () => {
  it('sends every key, from a header, to the same version; keys split by weight', async () => {
    const ab = await api(
      base,
      'POST',
      '/api/v1/deployments/web/ab',
      { model: 'cancer:2', key_header: 'X-User' },
      auth,
    );
    expect(ab.status).toBe(200);
    expect(ab.json.ab_key).toEqual({ header: 'x-user', field: null });
    const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const seen = new Map<string, Set<string>>();
    await Promise.all(
      keys.map(async (key) => {
        for (let i = 0; i < 3; i++) {
          const a = await infer(base, 'web', v2Body(rows.slice(i, i + 1)), { ...auth, 'x-user': key });
          expect(a.status).toBe(200);
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(a.version!);
        }
      }),
    );
    expect([...seen.values()].every((s) => s.size === 1)).toBe(true);
    const b = [...seen.values()].filter((s) => s.has('2')).length;
    expect(Math.abs(b - 150)).toBeLessThan(3 * Math.sqrt(300 * 0.25));
  });

  it('takes the key from an input field too, on V2 and MLflow requests alike', async () => {
    const ab = await api(
      base,
      'POST',
      '/api/v1/deployments/web/ab',
      { model: 'cancer:2', key_field: 'customer' },
      auth,
    );
    expect(ab.status).toBe(200);
    const versions = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const key = `c-${i}`;
      const v2 = await infer(base, 'web', v2Body(rows.slice(0, 1), { parameters: { customer: key } }), auth);
      const mlflow = await fetch(`${base}/models/web/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ params: { customer: key }, inputs: rows.slice(1, 2) }),
      });
      expect(mlflow.headers.get('x-model-version')).toBe(v2.version);
      versions.set(key, v2.version!);
    }
    expect(new Set(versions.values())).toEqual(new Set(['1', '2']));
  });
});

describe('shadow', () => {
  it('never changes a response; its outputs and latency are logged and compared', async () => {
    const before = await Promise.all(rows.slice(0, 20).map((r) => infer(base, 'cancer', v2Body([r]), auth)));
    const shadow = await api(
      base,
      'POST',
      '/api/v1/deployments/web/shadow',
      { model: 'cancer:2', message: 'try the GBDT' },
      auth,
    );
    expect(shadow.status).toBe(200);
    // Primary answers with the shadow on are byte for byte those of the model alone.
    for (const [i, r] of rows.slice(0, 20).entries()) {
      const a = await infer(base, 'web', v2Body([r]), { ...auth, 'x-request-id': `shadow-${i}` });
      expect(a.version).toBe('1');
      expect(a.body.outputs).toEqual(before[i].body.outputs);
    }
    const log = await until('shadow log', async () => {
      const res = await api(base, 'GET', '/api/v1/deployments/web/shadow-log?limit=50', undefined, auth);
      const entries = res.json.shadow_log as { request_id: string }[];
      return entries.filter((e) => e.request_id.startsWith('shadow-')).length === 20 ? entries : null;
    });
    const entry = log.find((e) => e.request_id === 'shadow-0') as unknown as {
      primary: { version: number };
      shadow: { version: number; ms: number };
      outputs: { probabilities: { shape: number[] }; label: { data: number[] } };
      agree: boolean;
    };
    expect(entry.primary.version).toBe(1);
    expect(entry.shadow.version).toBe(2);
    expect(entry.shadow.ms).toBeGreaterThan(0);
    expect(entry.outputs.probabilities.shape).toEqual([1, 2]);
    const status = await api(base, 'GET', '/api/v1/deployments/web', undefined, auth);
    const target = (
      status.json.targets as {
        role: string;
        traffic: { shadow: { compared: number; agreement_rate: number } }[];
      }[]
    ).find((t) => t.role === 'shadow')!;
    expect(target.traffic[0].shadow.compared).toBeGreaterThanOrEqual(20);
    // The MLP and the GBDT agree on most of the holdout rows.
    expect(target.traffic[0].shadow.agreement_rate).toBeGreaterThan(0.8);
  });

  it('keeps answering when the shadow fails, and counts its errors', async () => {
    const shadow = await api(base, 'POST', '/api/v1/deployments/web/shadow', { model: 'erratic:1' }, auth);
    expect(shadow.status).toBe(200);
    const { safe, failing } = splitByRadius();
    const mixed = [...safe.slice(0, 10), ...failing.slice(0, 10)];
    for (const r of mixed) {
      const a = await infer(base, 'web', v2Body([r]), auth);
      expect(a.status).toBe(200);
      expect(a.version).toBe('1');
    }
    const status = await until('shadow errors', async () => {
      const s = await api(base, 'GET', '/api/v1/deployments/web', undefined, auth);
      const t = (
        s.json.targets as { role: string; traffic: { shadow: { compared: number; errors: number } }[] }[]
      ).find((x) => x.role === 'shadow');
      const sh = t?.traffic[0]?.shadow;
      return sh && sh.compared + sh.errors >= 20 ? sh : null;
    });
    expect(status.errors).toBeGreaterThanOrEqual(10);
  });

  it('refuses a canary whose inputs do not fit, naming the input', async () => {
    const res = await api(
      base,
      'POST',
      '/api/v1/deployments/web/canary',
      { model: 'tokens:1', weight: 5 },
      auth,
    );
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DEPLOYMENTS_GATE_FAILED');
    expect(String(res.json.message)).toMatch(/input "features" is missing/);
  });
});
