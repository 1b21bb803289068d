/**
 * Every fixture model through the real runtime, both placements: one call with all sample rows, then
 * one concurrent call per row (merged by the batcher, split back: no row may land with another caller).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/errors.js';
import { createInferenceRuntime, type InferenceRuntime } from '../../src/runtime/inference-runtime.js';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { FIXTURE_MODELS, type Fixture, mismatch, readFixture, sliceRows } from './fixtures.js';

const fixtures = FIXTURE_MODELS.map(readFixture);

function expectOutputs(fixture: Fixture, outputs: TensorMap, start: number, end: number): void {
  for (const [name, expected] of Object.entries(fixture.expected)) {
    const tensor = outputs[name];
    expect(tensor, `output ${name}`).toBeDefined();
    const rowSize = expected.data.length / expected.shape[0];
    expect(tensor.shape).toEqual([end - start, ...expected.shape.slice(1)]);
    const integer = tensor.datatype === 'INT64';
    const problem = mismatch(
      tensor.data as ArrayLike<number | bigint>,
      expected.data.slice(start * rowSize, end * rowSize),
      integer,
    );
    expect(problem, `${fixture.name} ${name} rows ${start}-${end}`).toBeNull();
  }
}

describe.each(['inline', 'worker'] as const)('fixture models, %s placement', (placement) => {
  let runtime: InferenceRuntime;

  beforeAll(async () => {
    runtime = createInferenceRuntime({ workers: 2 });
    for (const f of fixtures) {
      const info = await runtime.load(f.name, { path: f.path }, f.signature, { placement });
      expect(info.placement).toBe(placement);
    }
  });

  afterAll(async () => {
    await runtime.close();
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s: all rows in one call', async (_name, fixture) => {
    const result = await runtime.infer(fixture.name, fixture.inputs);
    expect(result.batchSize).toBe(fixture.rows);
    expectOutputs(fixture, result.outputs, 0, fixture.rows);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: one concurrent call per row',
    async (_name, fixture) => {
      const calls = Array.from({ length: fixture.rows }, (_, row) =>
        runtime.infer(fixture.name, sliceRows(fixture.inputs, row, row + 1)),
      );
      const results = await Promise.all(calls);
      results.forEach((result, row) => {
        expectOutputs(fixture, result.outputs, row, row + 1);
      });
      // The calls were issued in one turn of the event loop, so the batcher merged them.
      expect(Math.max(...results.map((r) => r.batchSize))).toBeGreaterThan(1);
    },
  );
});

describe('runtime API', () => {
  let runtime: InferenceRuntime;
  const gbdt = fixtures.find((f) => f.name === 'breast_cancer_gbdt')!;
  const tokens = fixtures.find((f) => f.name === 'token_classifier')!;

  beforeAll(async () => {
    runtime = createInferenceRuntime({ workers: 1 });
    await runtime.load('gbdt', { path: gbdt.path }, gbdt.signature, { placement: 'inline' });
    await runtime.load('tokens', { path: tokens.path }, tokens.signature, { placement: 'inline' });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('returns only the requested outputs, with int64 labels and float32 probabilities', async () => {
    const both = await runtime.infer('gbdt', sliceRows(gbdt.inputs, 0, 3));
    expect(both.outputs.label.datatype).toBe('INT64');
    expect(both.outputs.label.data).toBeInstanceOf(BigInt64Array);
    expect(both.outputs.probabilities.data).toBeInstanceOf(Float32Array);
    const one = await runtime.infer('gbdt', sliceRows(gbdt.inputs, 0, 3), { outputs: ['label'] });
    expect(Object.keys(one.outputs)).toEqual(['label']);
    expect([...(one.outputs.label.data as BigInt64Array)]).toEqual([
      ...(both.outputs.label.data as BigInt64Array),
    ]);
  });

  it('refuses an unknown output before queueing', async () => {
    const error = await runtime
      .infer('gbdt', sliceRows(gbdt.inputs, 0, 1), { outputs: ['proba'] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.code).toBe('RUNTIME_UNKNOWN_OUTPUT');
    expect(error.message).toContain('"proba"');
    expect(error.message).toContain('label, probabilities');
  });

  it('checks tensors from library callers against the signature', async () => {
    const wrong = { features: { datatype: 'FP32', shape: [1, 29], data: new Float32Array(29) } } as TensorMap;
    await expect(runtime.infer('gbdt', wrong)).rejects.toMatchObject({
      code: 'RUNTIME_INPUT_SHAPE_MISMATCH',
      message: 'input "features": expected shape [-1,30], got [1,29]',
    });
    const short = { features: { datatype: 'FP32', shape: [2, 30], data: new Float32Array(59) } } as TensorMap;
    await expect(runtime.infer('gbdt', short)).rejects.toMatchObject({
      code: 'RUNTIME_INPUT_SHAPE_MISMATCH',
    });
    await expect(runtime.infer('gbdt', {})).rejects.toMatchObject({ code: 'RUNTIME_MISSING_INPUT' });
    const disagree = {
      input_ids: { datatype: 'INT64', shape: [2, 4], data: new BigInt64Array(8) },
      attention_mask: { datatype: 'INT64', shape: [3, 4], data: new BigInt64Array(12) },
    } as TensorMap;
    await expect(runtime.infer('tokens', disagree)).rejects.toMatchObject({
      code: 'RUNTIME_INPUT_SHAPE_MISMATCH',
      message: 'inputs disagree on the batch dimension: "input_ids" has 2 rows, "attention_mask" has 3',
    });
  });

  it('answers RUNTIME_MODEL_NOT_READY for a model it does not hold', async () => {
    expect(runtime.isReady('nope')).toBe(false);
    await expect(runtime.infer('nope', gbdt.inputs)).rejects.toMatchObject({
      code: 'RUNTIME_MODEL_NOT_READY',
    });
  });

  it('reloads a key without a gap and unloads after draining', async () => {
    const inflight = Array.from({ length: 8 }, (_, i) =>
      runtime.infer('gbdt', sliceRows(gbdt.inputs, i, i + 1)),
    );
    const reload = runtime.load('gbdt', { path: gbdt.path }, gbdt.signature, { placement: 'inline' });
    const during = runtime.infer('gbdt', sliceRows(gbdt.inputs, 0, 1));
    await reload;
    await expect(Promise.all([...inflight, during])).resolves.toHaveLength(9);
    expect(runtime.isReady('gbdt')).toBe(true);

    const last = runtime.infer('gbdt', sliceRows(gbdt.inputs, 0, 2));
    const unloaded = runtime.unload('gbdt');
    expect(runtime.isReady('gbdt')).toBe(false);
    await expect(last).resolves.toMatchObject({ batchSize: 2 });
    await unloaded;
    await expect(runtime.infer('gbdt', gbdt.inputs)).rejects.toMatchObject({
      code: 'RUNTIME_MODEL_NOT_READY',
    });
  });

  it('reloads repeatedly without growing resident memory (onnxruntime issue 25325)', async () => {
    // Sessions that are not released on reload would add up; DESIGN.md asks to watch for it.
    const mlp = fixtures.find((f) => f.name === 'breast_cancer_mlp')!;
    const reloads = createInferenceRuntime({ workers: 1 });
    try {
      const rss: number[] = [];
      for (let i = 0; i < 40; i++) {
        await reloads.load('m', { path: mlp.path }, mlp.signature, {
          placement: i % 2 === 0 ? 'inline' : 'worker',
        });
        await reloads.infer('m', sliceRows(mlp.inputs, 0, 4));
        if (i === 9 || i === 39) rss.push(process.memoryUsage().rss);
      }
      // Measured: flat to the MB over 60 reloads. 40 MB of slack absorbs allocator and GC noise.
      expect(rss[1] - rss[0]).toBeLessThan(40 * 1024 * 1024);
    } finally {
      await reloads.close();
    }
  });

  it('reports stats and calls the batch observer', async () => {
    const batches: { key: string; size: number }[] = [];
    const observed = createInferenceRuntime({
      workers: 1,
      observer: { onBatch: (key, size) => batches.push({ key, size }) },
    });
    try {
      await observed.load('m', { path: gbdt.path }, gbdt.signature, { placement: 'inline' });
      await Promise.all(
        Array.from({ length: 5 }, (_, i) => observed.infer('m', sliceRows(gbdt.inputs, i, i + 1))),
      );
      expect(batches).toEqual([{ key: 'm', size: 5 }]);
      expect(observed.stats('m')).toMatchObject({
        requests: 5,
        batches: 1,
        rows: 5,
        meanBatchSize: 5,
        queuedRequests: 0,
      });
      expect(observed.stats('other')).toBeNull();
    } finally {
      await observed.close();
    }
    await expect(observed.infer('m', gbdt.inputs)).rejects.toMatchObject({ code: 'CORE_CLOSED' });
  });

  it('fails a load whose signature does not match the model', async () => {
    const wrong = { ...gbdt.signature, inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 30] }] };
    const error = await runtime
      .load('bad', { path: gbdt.path }, wrong, { placement: 'inline' })
      .catch((e) => e);
    expect(error.code).toBe('RUNTIME_MODEL_NOT_SERVABLE');
    expect(error.message).toContain('the model has no input "x" (it has features)');
    const missing = await runtime
      .load('missing', { path: '/nonexistent/model.onnx' }, gbdt.signature, { placement: 'inline' })
      .catch((e) => e);
    expect(missing.code).toBe('ONNX_LOAD_FAILED');
    expect(runtime.isReady('bad')).toBe(false);
  });
});
