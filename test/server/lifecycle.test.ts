import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServing, openSlipway, type Slipway } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { fixtureModelPath, fixtureSample, tempHome } from '../helpers/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(
  slipway: Slipway,
  opts: Parameters<typeof createServing>[1],
  app: Partial<Parameters<typeof createApp>[0]> = {},
) {
  const serving = await createServing(slipway, opts);
  const built = await createApp({ slipway, repository: serving.repository, ...app });
  cleanups.push(async () => {
    await built.app.close();
    await serving.close();
  });
  return { ...built, serving };
}

async function open(home = tempHome()) {
  const slipway = await openSlipway({ home });
  cleanups.push(() => slipway.close());
  return slipway;
}

const row = (fixtureSample('breast_cancer_mlp').inputs.features as number[][])[0];
const oneRow = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 30], data: row }] };

describe('models follow the registry while serving', () => {
  it('switches to a new version and to alias moves, without failing a request in flight', async () => {
    const home = tempHome();
    const slipway = await open(home);
    await slipway.registry.register({ name: 'm', path: fixtureModelPath('breast_cancer_mlp') });
    const { app } = await serve(slipway, { selection: null, workers: 1, pollMs: 50 });

    const seen: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const batch = await Promise.all(
          Array.from({ length: 16 }, () =>
            app.inject({ method: 'POST', url: '/v2/models/m/infer', payload: oneRow }),
          ),
        );
        for (const r of batch) {
          if (r.statusCode !== 200) failures.push(`${r.statusCode} ${r.body}`);
          else seen.push(r.json().model_version);
        }
      }
    })();

    const until = async (version: string) => {
      const deadline = Date.now() + 10_000;
      while (seen.at(-1) !== version) {
        if (Date.now() > deadline)
          throw new Error(`never switched to version ${version}; last ${seen.at(-1)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('1');
    // A registration in this process is picked up through the registry's events...
    await slipway.registry.register({ name: 'm', path: fixtureModelPath('breast_cancer_gbdt') });
    await until('2');
    // ...and an alias move made by another process sharing the store, through the change log.
    const other = await open(home);
    await other.registry.setAlias('m', 'champion', 1);
    await until('1');
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(seen.length).toBeGreaterThan(50);
  });

  it('reports a model that fails to load as not ready while the others keep serving', async () => {
    const home = tempHome();
    const slipway = await open(home);
    await slipway.registry.register({ name: 'good', path: fixtureModelPath('breast_cancer_mlp') });
    const bad = await slipway.registry.register({
      name: 'bad',
      path: fixtureModelPath('breast_cancer_gbdt'),
    });
    // Damage the stored bytes: the artifact store refuses bytes that no longer match their digest.
    const file = path.join(
      home,
      'artifacts',
      'sha256',
      bad.modelSha256!.slice(0, 2),
      bad.modelSha256!.slice(2),
    );
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'garbage');
    const { app } = await serve(slipway, { selection: null, workers: 1 });

    expect((await app.inject('/v2/health/ready')).statusCode).toBe(200);
    const ready = await app.inject('/v2/models/bad/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error).toMatch(/corrupt/);
    const infer = await app.inject({ method: 'POST', url: '/v2/models/bad/infer', payload: oneRow });
    expect(infer.statusCode).toBe(503);
    const good = await app.inject({ method: 'POST', url: '/v2/models/good/infer', payload: oneRow });
    expect(good.statusCode).toBe(200);
  });
});

describe('limits', () => {
  const image = fixtureSample('image_mobilenet_v3_small').inputs.pixel_values as number[][][][];
  const imageRequest = {
    inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [1, 3, 224, 224], data: image[0] }],
  };

  it('answers 503 with Retry-After past the queue bound, and recovers', async () => {
    const slipway = await open();
    await slipway.registry.register({
      name: 'mobilenet',
      path: fixtureModelPath('image_mobilenet_v3_small'),
    });
    const { app } = await serve(slipway, {
      selection: null,
      workers: 1,
      batching: { maxQueueRequests: 2, maxBatchSize: 1 },
    });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        app.inject({ method: 'POST', url: '/v2/models/mobilenet/infer', payload: imageRequest }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const refused = results.find((r) => r.statusCode === 503)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.json().error).toMatch(/queue|overload/i);
    const after = await app.inject({
      method: 'POST',
      url: '/v2/models/mobilenet/infer',
      payload: imageRequest,
    });
    expect(after.statusCode).toBe(200);
    expect((await app.inject('/metrics')).body).toMatch(
      /slipway_rejected_requests_total\{[^}]*reason="overloaded"\} [1-9]/,
    );
  });

  it('answers 504 past the request timeout', async () => {
    const slipway = await open();
    await slipway.registry.register({
      name: 'mobilenet',
      path: fixtureModelPath('image_mobilenet_v3_small'),
    });
    const { app } = await serve(slipway, { selection: null, workers: 1 }, { requestTimeoutMs: 1 });
    const eight = {
      inputs: [{ name: 'pixel_values', datatype: 'FP32', shape: [2, 3, 224, 224], data: image }],
    };
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        app.inject({ method: 'POST', url: '/v2/models/mobilenet/infer', payload: eight }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toContain(504);
    expect(results.find((r) => r.statusCode === 504)!.json().error).toMatch(/timed out after 1 ms/);
  });
});

describe('authentication', () => {
  it('requires the bearer token on every route but the health probes', async () => {
    const slipway = await open();
    await slipway.registry.register({ name: 'm', path: fixtureModelPath('breast_cancer_mlp') });
    const { app } = await serve(slipway, { selection: null, workers: 1 }, { token: 's3cret' });
    expect((await app.inject('/v2/health/ready')).statusCode).toBe(200);
    expect((await app.inject('/ping')).statusCode).toBe(200);
    const denied = await app.inject({ method: 'POST', url: '/v2/models/m/infer', payload: oneRow });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error).toMatch(/bearer token/);
    const wrong = await app.inject({ url: '/api/v1/models', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('CORE_UNAUTHORIZED');
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const allowed = await app.inject({
      method: 'POST',
      url: '/v2/models/m/infer',
      payload: oneRow,
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(allowed.statusCode).toBe(200);
  });
});
