/**
 * The dynamic batcher: first on its own, with batch functions written here (an echo model whose
 * batches we can hold open, so queueing is deterministic); then through the runtime with real fixture
 * models for the cases a real model decides (fixed first dimension, sequence lengths, a failing run).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/errors.js';
import {
  type BatchInfo,
  type BatchingOptions,
  DEFAULT_BATCHING_OPTIONS,
  DynamicBatcher,
} from '../../src/runtime/dynamic-batcher.js';
import { createInferenceRuntime, type InferenceRuntime } from '../../src/runtime/inference-runtime.js';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { mismatch, readFixture, sliceRows } from './fixtures.js';

/** A request of `rows` rows of width `width`, each value tagging its request and row. */
function request(tag: number, rows = 1, width = 2): TensorMap {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = tag * 1000 + i;
  return { x: { datatype: 'FP32', shape: [rows, width], data } };
}

/**
 * An echo "model" (y = x) whose batches wait for `release()`, so the test decides when a batch ends.
 * `fail` makes the next batch reject.
 */
function echoModel() {
  const batches: number[] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  let fail: Error | null = null;
  return {
    batches,
    holdBatches() {
      hold = true;
    },
    release() {
      hold = false;
      for (const open of gates.splice(0)) open();
    },
    failNext(error: Error) {
      fail = error;
    },
    run: async (inputs: TensorMap, rows: number) => {
      batches.push(rows);
      if (hold) await new Promise<void>((resolve) => gates.push(resolve));
      if (fail !== null) {
        const error = fail;
        fail = null;
        throw error;
      }
      return { y: inputs.x };
    },
  };
}

function batcher(model: ReturnType<typeof echoModel>, options: Partial<BatchingOptions> = {}, extra = {}) {
  const infos: BatchInfo[] = [];
  const b = new DynamicBatcher({
    name: 'echo',
    inputNames: ['x'],
    batchable: true,
    options: { ...DEFAULT_BATCHING_OPTIONS, ...options },
    concurrency: 1,
    run: model.run,
    onBatch: (info) => infos.push(info),
    ...extra,
  });
  return { b, infos };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DynamicBatcher', () => {
  it('merges requests of one event-loop turn and gives each exactly its rows', async () => {
    const model = echoModel();
    const { b, infos } = batcher(model);
    const sizes = [1, 3, 2, 1];
    const results = await Promise.all(sizes.map((rows, tag) => b.submit(request(tag, rows), rows)));
    expect(model.batches).toEqual([7]);
    results.forEach((r, tag) => {
      expect(r.outputs.y.data).toEqual(request(tag, sizes[tag]).x.data);
      expect(r.batchSize).toBe(7);
    });
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ rows: 7, requests: 4, error: null });
  });

  it('never exceeds maxBatchSize rows, and runs a larger single request alone', async () => {
    const model = echoModel();
    const { b } = batcher(model, { maxBatchSize: 4 });
    await Promise.all([1, 2, 2, 1, 6, 1].map((rows, tag) => b.submit(request(tag, rows), rows)));
    expect(model.batches).toEqual([3, 3, 6, 1]);
  });

  it('keeps accumulating while the slot is busy, so batches grow with load', async () => {
    const model = echoModel();
    const { b } = batcher(model);
    model.holdBatches();
    const first = b.submit(request(0), 1);
    await tick(); // the first batch starts and is held
    const later = Array.from({ length: 10 }, (_, i) => b.submit(request(i + 1), 1));
    await tick();
    expect(b.queuedRequests).toBe(10);
    model.release();
    await Promise.all([first, ...later]);
    expect(model.batches).toEqual([1, 10]);
  });

  it('waits up to maxQueueDelayMs for company, and no longer', async () => {
    const model = echoModel();
    const { b } = batcher(model, { maxQueueDelayMs: 30, maxBatchSize: 3 });
    const started = performance.now();
    const a = b.submit(request(0), 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const c = b.submit(request(1), 1);
    const first = await Promise.all([a, c]);
    const waited = performance.now() - started;
    expect(model.batches).toEqual([2]);
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(first[0].queueMs).toBeGreaterThanOrEqual(25);
    // A full batch does not wait for the clock.
    const full = performance.now();
    await Promise.all([0, 1, 2].map((t) => b.submit(request(t), 1)));
    expect(performance.now() - full).toBeLessThan(25);
    expect(model.batches).toEqual([2, 3]);
  });

  it('refuses at once with RUNTIME_OVERLOADED when the queue is full (503 with a retry hint)', async () => {
    const model = echoModel();
    const { b } = batcher(model, { maxQueueRequests: 4, maxQueueRows: 100 });
    model.holdBatches();
    const running = b.submit(request(0), 1);
    await tick();
    const queued = [1, 2, 3, 4].map((t) => b.submit(request(t), 1));
    expect(b.queuedRequests).toBe(4);
    const refused = b.submit(request(5), 1);
    const error = await refused.catch((e) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.code).toBe('RUNTIME_OVERLOADED');
    expect(error.httpStatus).toBe(503);
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('model "echo" is overloaded: 4 requests (4 rows) are queued');
    model.release();
    await Promise.all([running, ...queued]);

    // The row bound too.
    const m2 = echoModel();
    const { b: b2 } = batcher(m2, { maxQueueRequests: 100, maxQueueRows: 5 });
    m2.holdBatches();
    const r0 = b2.submit(request(0), 1);
    await tick();
    const r1 = b2.submit(request(1, 4), 4);
    await expect(b2.submit(request(2, 2), 2)).rejects.toMatchObject({ code: 'RUNTIME_OVERLOADED' });
    m2.release();
    await Promise.all([r0, r1]);
    expect(b2.queuedRows).toBe(0);
  });

  it('times out a queued request with RUNTIME_TIMEOUT and removes it from the queue', async () => {
    const model = echoModel();
    const { b } = batcher(model);
    model.holdBatches();
    const running = b.submit(request(0), 1);
    await tick();
    const doomed = b.submit(request(1, 3), 3, 20);
    const kept = b.submit(request(2), 1);
    const error = await doomed.catch((e) => e);
    expect(error.code).toBe('RUNTIME_TIMEOUT');
    expect(error.httpStatus).toBe(504);
    expect(error.message).toBe('model "echo": request timed out after 20 ms (still queued)');
    expect(b.queuedRequests).toBe(1);
    expect(b.queuedRows).toBe(1);
    model.release();
    await Promise.all([running, kept]);
    expect(model.batches).toEqual([1, 1]); // the timed-out request's 3 rows never ran
  });

  it('times out a request whose batch runs too long; the batch still finishes for the others', async () => {
    const model = echoModel();
    const { b } = batcher(model);
    model.holdBatches();
    const slow = b.submit(request(0), 1, 20);
    const patient = b.submit(request(1), 1, 10_000);
    await expect(slow).rejects.toMatchObject({ code: 'RUNTIME_TIMEOUT', details: { phase: 'running' } });
    model.release();
    await expect(patient).resolves.toMatchObject({ batchSize: 2 });
    await b.idle();
  });

  it('keeps every deadline with one timer: shorter ones submitted later, and later ones after a sweep', async () => {
    const model = echoModel();
    const { b } = batcher(model);
    model.holdBatches();
    const started = performance.now();
    const running = b.submit(request(0), 1, 10_000);
    await tick();
    // The long deadline arms the timer first; the 30 ms one must still fire at ~30 ms, and the
    // 80 ms one after the sweep that timed out the 30 ms one.
    const long = b.submit(request(1), 1, 10_000);
    const short = b.submit(request(2), 1, 30);
    const later = b.submit(request(3), 1, 80);
    const shortError = await short.catch((e) => e);
    const shortMs = performance.now() - started;
    const laterError = await later.catch((e) => e);
    const laterMs = performance.now() - started;
    expect(shortError.code).toBe('RUNTIME_TIMEOUT');
    expect(laterError.code).toBe('RUNTIME_TIMEOUT');
    expect(shortMs).toBeGreaterThanOrEqual(29);
    expect(shortMs).toBeLessThan(1000);
    expect(laterMs).toBeGreaterThanOrEqual(79);
    expect(laterMs).toBeLessThan(1000);
    expect(b.queuedRequests).toBe(1); // only the long one is still queued
    model.release();
    await Promise.all([running, long]);
    expect(model.batches).toEqual([1, 1]);
  });

  it('rejects every caller of a failing batch with its error', async () => {
    const model = echoModel();
    const { b, infos } = batcher(model);
    const failure = new SlipwayError('RUNTIME_INFERENCE_FAILED', 'boom');
    model.failNext(failure);
    const results = await Promise.allSettled([0, 1, 2].map((t) => b.submit(request(t), 1)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBe(failure);
    expect(infos[0].error).toBe(failure);
    // The batcher carries on.
    await expect(b.submit(request(3), 1)).resolves.toMatchObject({ batchSize: 1 });
  });

  it('never merges a model that cannot batch', async () => {
    const model = echoModel();
    const { b } = batcher(model, {}, { batchable: false });
    await Promise.all([0, 1, 2].map((t) => b.submit(request(t), 1)));
    expect(model.batches).toEqual([1, 1, 1]);
  });

  it('merges only requests with the same non-batch dimensions', async () => {
    const model = echoModel();
    const { b } = batcher(model);
    const widths = [2, 3, 2, 3, 4, 2];
    const results = await Promise.all(widths.map((w, t) => b.submit(request(t, 1, w), 1)));
    expect(model.batches.sort()).toEqual([1, 2, 3]);
    results.forEach((r, t) => {
      expect(r.outputs.y.data).toEqual(request(t, 1, widths[t]).x.data);
    });
  });

  it('runs up to `concurrency` batches at once', async () => {
    const model = echoModel();
    const { b } = batcher(model, { maxBatchSize: 2 }, { concurrency: 3 });
    model.holdBatches();
    const all = Array.from({ length: 10 }, (_, t) => b.submit(request(t), 1));
    await tick();
    expect(b.runningBatches).toBe(3);
    expect(b.queuedRequests).toBe(4);
    model.release();
    await Promise.all(all);
    expect(model.batches.reduce((a, c) => a + c, 0)).toBe(10);
  });
});

describe('batching real models', () => {
  const mlp = readFixture('breast_cancer_mlp');
  const tokens = readFixture('token_classifier');
  let runtime: InferenceRuntime;

  beforeAll(async () => {
    runtime = createInferenceRuntime({ workers: 1 });
    // The MLP declared with a fixed first dimension, as a model exported for batch size 1 would be.
    const fixed = {
      inputs: [{ ...mlp.signature.inputs[0], shape: [1, 30] }],
      outputs: [{ ...mlp.signature.outputs[0], shape: [1, 2] }],
    };
    await runtime.load('fixed', { path: mlp.path }, fixed, { placement: 'inline' });
    await runtime.load('tokens', { path: tokens.path }, tokens.signature, { placement: 'worker' });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('never merges a model whose first dimension is fixed', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, row) => runtime.infer('fixed', sliceRows(mlp.inputs, row, row + 1))),
    );
    results.forEach((r, row) => {
      expect(r.batchSize).toBe(1);
      const expected = mlp.expected.probabilities.data.slice(row * 2, row * 2 + 2);
      expect(mismatch(r.outputs.probabilities.data as Float32Array, expected, false)).toBeNull();
    });
    expect(runtime.stats('fixed')).toMatchObject({ batches: 6, rows: 6 });
  });

  it('never merges token_classifier requests of different sequence lengths, and answers them all', async () => {
    // Requests cut from the sample at lengths 12, 9 and 5; each is answered as if it ran alone.
    const cut = (row: number, length: number): TensorMap => {
      const one = sliceRows(tokens.inputs, row, row + 1);
      const out: TensorMap = {};
      for (const [name, t] of Object.entries(one)) {
        out[name] = {
          datatype: 'INT64',
          shape: [1, length],
          data: (t.data as BigInt64Array).slice(0, length),
        };
      }
      return out;
    };
    const lengths = [12, 9, 12, 5, 9, 12, 5, 12];
    const requests = lengths.map((length, row) => cut(row, length));
    const alone: Float32Array[] = [];
    for (const r of requests)
      alone.push((await runtime.infer('tokens', r)).outputs.logits.data as Float32Array);

    const together = await Promise.all(requests.map((r) => runtime.infer('tokens', r)));
    together.forEach((result, i) => {
      const sameLength = lengths.filter((l) => l === lengths[i]).length;
      expect(result.batchSize).toBe(sameLength);
      expect(result.outputs.logits.shape).toEqual([1, 3]);
      expect(mismatch(result.outputs.logits.data as Float32Array, Array.from(alone[i]), false)).toBeNull();
    });
  });

  it('fails every caller of a batch that onnxruntime rejects, and keeps serving', async () => {
    const good = sliceRows(tokens.inputs, 0, 1);
    const bad = sliceRows(tokens.inputs, 1, 2);
    (bad.input_ids.data as BigInt64Array)[0] = 100_000n; // past the embedding table: the Gather node fails
    const results = await Promise.allSettled([good, bad, good].map((r) => runtime.infer('tokens', r)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(SlipwayError);
      expect(reason.code).toBe('RUNTIME_INFERENCE_FAILED');
      expect(reason.message).toContain('indices element out of data bounds');
    }
    await expect(runtime.infer('tokens', good)).resolves.toMatchObject({ batchSize: 1 });
  });
});
