/**
 * The worker pool with real worker threads and a real model: errors cross as SlipwayError, inputs
 * move instead of being copied when asked, and a worker that dies mid-batch fails that batch with
 * RUNTIME_WORKER_EXITED while the pool goes on serving.
 */

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/errors.js';
import type { ModelSpec } from '../../src/runtime/session-host.js';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { createWorkerPool, type WorkerPool } from '../../src/runtime/worker-pool.js';
import { mismatch, readFixture, sliceRows } from './fixtures.js';

const mlp = readFixture('breast_cancer_mlp');
const settings = { intraOpNumThreads: 1 };
const spec = (generation: number, source: ModelSpec['source'] = { path: mlp.path }): ModelSpec => ({
  key: 'mlp',
  generation,
  source,
  signature: mlp.signature,
  settings,
});

function expectRows(outputs: TensorMap, start: number, end: number): void {
  const expected = mlp.expected.probabilities.data.slice(start * 2, end * 2);
  expect(mismatch(outputs.probabilities.data as Float32Array, expected, false)).toBeNull();
}

let pool: WorkerPool | null = null;

afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('WorkerPool', () => {
  it('loads a model on every worker and runs batches there', async () => {
    pool = await createWorkerPool({ size: 2 });
    expect(pool.threadIds).toHaveLength(2);
    const reports = await pool.load(spec(1));
    expect(reports).toHaveLength(2);
    const result = await pool.run(spec(1), sliceRows(mlp.inputs, 0, 5), null, false);
    expectRows(result.outputs, 0, 5);
    expect(await pool.measure(spec(1), 1, 3)).toBeGreaterThan(0);
  });

  it('loads from bytes shared by all workers', async () => {
    pool = await createWorkerPool({ size: 2 });
    const file = readFileSync(mlp.path);
    const shared = new Uint8Array(new SharedArrayBuffer(file.byteLength));
    shared.set(file);
    await pool.load(spec(1, { bytes: shared }));
    const results = await Promise.all(
      [0, 1, 2, 3].map((r) => pool!.run(spec(1), sliceRows(mlp.inputs, r, r + 1), null, false)),
    );
    results.forEach((result, r) => {
      expectRows(result.outputs, r, r + 1);
    });
  });

  it('moves owned inputs to the worker instead of copying them, and leaves others alone', async () => {
    pool = await createWorkerPool({ size: 1 });
    await pool.load(spec(1));
    const moved = sliceRows(mlp.inputs, 0, 2);
    const kept = sliceRows(mlp.inputs, 0, 2);
    expectRows((await pool.run(spec(1), moved, null, true)).outputs, 0, 2);
    expectRows((await pool.run(spec(1), kept, null, false)).outputs, 0, 2);
    expect(moved.features.data.length).toBe(0); // detached: its buffer now belongs to the worker
    expect(kept.features.data.length).toBe(60);
  });

  it('rebuilds worker errors as SlipwayError with their code', async () => {
    pool = await createWorkerPool({ size: 1 });
    const bad = await pool.load({ ...spec(1), source: { path: '/nonexistent/model.onnx' } }).catch((e) => e);
    expect(bad).toBeInstanceOf(SlipwayError);
    expect(bad.code).toBe('ONNX_LOAD_FAILED');
    expect(bad.message).toContain('model "mlp": onnxruntime could not load it');

    await pool.load(spec(2));
    const wrongShape = {
      features: { datatype: 'FP32', shape: [1, 29], data: new Float32Array(29) },
    } as TensorMap;
    const failed = await pool.run(spec(2), wrongShape, null, false).catch((e) => e);
    expect(failed).toBeInstanceOf(SlipwayError);
    expect(failed.code).toBe('RUNTIME_INFERENCE_FAILED');
    expect(failed.message).toContain('Got invalid dimensions for input: features');
  });

  it('loads a model on the spot when a batch reaches a worker that does not hold it', async () => {
    pool = await createWorkerPool({ size: 1 });
    // Never loaded through `load`: the worker answers "missing" and the pool resends with the spec.
    const inputs = sliceRows(mlp.inputs, 3, 6);
    const result = await pool.run(spec(7), inputs, null, true);
    expectRows(result.outputs, 3, 6);
  });

  it('fails the batch of a worker that dies mid-run with RUNTIME_WORKER_EXITED, then keeps serving', async () => {
    pool = await createWorkerPool({ size: 1 });
    await pool.load(spec(1));
    const [before] = pool.threadIds;
    await pool.injectExit(3, 'next-run');
    const error = await pool.run(spec(1), sliceRows(mlp.inputs, 0, 4), null, true).catch((e) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.code).toBe('RUNTIME_WORKER_EXITED');
    expect(error.message).toContain('worker exited with code: 3');
    expect(error.httpStatus).toBe(500);

    // piscina starts a replacement; the next batches are answered by it.
    const results = await Promise.all(
      [0, 1, 2].map((r) => pool!.run(spec(1), sliceRows(mlp.inputs, r, r + 1), null, false)),
    );
    results.forEach((result, r) => {
      expectRows(result.outputs, r, r + 1);
    });
    expect(pool.threadIds).toHaveLength(1);
    expect(pool.threadIds[0]).not.toBe(before);
  });

  it('recovers when idle workers die, and fails control requests to them instead of hanging', async () => {
    pool = await createWorkerPool({ size: 2 });
    await pool.load(spec(1));
    await pool.injectExit(1, 'now'); // resolves once the workers are gone
    const result = await pool.run(spec(1), sliceRows(mlp.inputs, 0, 2), null, false);
    expectRows(result.outputs, 0, 2);
  });

  it('refuses work after close', async () => {
    const closing = await createWorkerPool({ size: 1 });
    await closing.close();
    await expect(closing.run(spec(1), mlp.inputs, null, false)).rejects.toMatchObject({
      code: 'CORE_CLOSED',
    });
  });
});
