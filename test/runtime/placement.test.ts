/**
 * `auto` placement with the real models: small models whose full batch costs tens of µs run inline,
 * MobileNet (milliseconds per image) runs on workers, and while it runs this thread stays responsive.
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInferenceRuntime,
  DEFAULT_INLINE_THRESHOLD_US,
  type InferenceRuntime,
} from '../../src/runtime/inference-runtime.js';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { TensorArena } from '../../src/runtime/tensor-arena.js';
import { mismatch, readFixture } from './fixtures.js';

const gbdt = readFixture('breast_cancer_gbdt');
const mlp = readFixture('breast_cancer_mlp');
const mobilenet = readFixture('image_mobilenet_v3_small');

describe('auto placement', () => {
  let runtime: InferenceRuntime;

  beforeAll(() => {
    runtime = createInferenceRuntime({ workers: 2 });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it.each([gbdt, mlp].map((f) => [f.name, f] as const))('%s runs inline', async (_name, fixture) => {
    const info = await runtime.load(fixture.name, { bytes: readFileSync(fixture.path) }, fixture.signature);
    expect(info.placement).toBe('inline');
    expect(info.latency.batchRows).toBe(64);
    expect(info.latency.batchUs).not.toBeNull();
    expect(info.latency.batchUs!).toBeLessThanOrEqual(DEFAULT_INLINE_THRESHOLD_US);
    expect(info.loadMs).toBeGreaterThan(0);
    expect(Number.isFinite(info.rssDeltaBytes)).toBe(true);
    const result = await runtime.infer(fixture.name, fixture.inputs);
    for (const [name, expected] of Object.entries(fixture.expected)) {
      const integer = result.outputs[name].datatype === 'INT64';
      expect(mismatch(result.outputs[name].data as ArrayLike<number>, expected.data, integer)).toBeNull();
    }
  });

  it('MobileNet runs on workers, and the event loop keeps ticking while it does', async () => {
    const info = await runtime.load('mobilenet', { path: mobilenet.path }, mobilenet.signature);
    expect(info.placement).toBe('worker');
    expect(info.latency.singleRowUs).toBeGreaterThan(DEFAULT_INLINE_THRESHOLD_US);
    expect(info.latency.batchUs).toBeNull(); // one row was already too slow: no 64-image probe

    const worker = await ticksDuringBatches(runtime, 'mobilenet');
    // A 1 ms timer keeps firing while each batch runs on a worker...
    for (const ticks of worker) expect(ticks).toBeGreaterThanOrEqual(4);

    // ...and, as a control, cannot fire while the same batch runs inline: only in the event-loop turns
    // before onnxruntime's synchronous run starts. (Counting ticks per batch, rather than timing gaps,
    // keeps this true on a machine so busy that the OS starves this thread.)
    const inline = createInferenceRuntime({ workers: 1 });
    try {
      await inline.load('mobilenet', { path: mobilenet.path }, mobilenet.signature, { placement: 'inline' });
      for (const ticks of await ticksDuringBatches(inline, 'mobilenet')) expect(ticks).toBeLessThanOrEqual(2);
    } finally {
      await inline.close();
    }
  });
});

describe('request tensors carved from a shared slab', () => {
  it("run on a worker with their own rows, and the slab's other tensors stay as they were", async () => {
    const runtime = createInferenceRuntime({ workers: 1 });
    try {
      await runtime.load('gbdt', { bytes: readFileSync(gbdt.path) }, gbdt.signature, { placement: 'worker' });
      const arena = new TensorArena();
      const all = gbdt.inputs.features.data as Float32Array;
      const width = gbdt.inputs.features.shape[1];
      const labels = gbdt.expected.label.data;
      // One view per row, all on one slab (the V2 body reader's tensors), each sent alone.
      const views = Array.from({ length: 8 }, (_, r) => {
        const view = arena.float32(width);
        view.set(all.subarray(r * width, (r + 1) * width));
        return view;
      });
      expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
      for (const [r, view] of views.entries()) {
        const result = await runtime.infer('gbdt', {
          features: { datatype: 'FP32', shape: [1, width], data: view },
        });
        expect(Number((result.outputs.label.data as BigInt64Array)[0]), `row ${r}`).toBe(Number(labels[r]));
      }
      for (const [r, view] of views.entries()) {
        expect(view.length).toBe(width);
        expect([...view]).toEqual([...all.subarray(r * width, (r + 1) * width)]);
      }
    } finally {
      await runtime.close();
    }
  });
});

/** Ticks of a 1 ms interval timer during each of three 8-image MobileNet batches. */
async function ticksDuringBatches(runtime: InferenceRuntime, key: string): Promise<number[]> {
  const image = mobilenet.inputs.pixel_values.data as Float32Array;
  const perImage = image.length / mobilenet.inputs.pixel_values.shape[0];
  const batch = (): TensorMap => {
    const data = new Float32Array(perImage * 8);
    for (let i = 0; i < 8; i++) data.set(image.subarray(0, perImage), i * perImage);
    return { pixel_values: { datatype: 'FP32', shape: [8, 3, 224, 224], data } };
  };
  const inputs = [batch(), batch(), batch()];
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
  }, 1);
  const counts: number[] = [];
  try {
    for (const x of inputs) {
      const before = ticks;
      const result = await runtime.infer(key, x);
      counts.push(ticks - before);
      expect(result.batchSize).toBe(8);
      // Every image of the batch is the sample's first one.
      const expected = mobilenet.expected.logits.data.slice(0, 10);
      expect(
        mismatch((result.outputs.logits.data as Float32Array).subarray(70, 80), expected, false),
      ).toBeNull();
    }
  } finally {
    clearInterval(timer);
  }
  return counts;
}
