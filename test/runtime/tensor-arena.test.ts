import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { compactTensors, TensorArena } from '../../src/runtime/tensor-arena.js';

describe('TensorArena', () => {
  it('hands out views that never overlap, across slab boundaries', () => {
    const arena = new TensorArena();
    const views: (Float32Array | Float64Array)[] = [];
    // 3,000 views of 30 floats cross the 64 KiB slab boundary several times.
    for (let i = 0; i < 3000; i++) {
      const v = i % 3 === 0 ? arena.float64(7) : arena.float32(30);
      v.fill(i);
      views.push(v);
    }
    for (const [i, v] of views.entries())
      expect(
        [...v].every((x) => x === i),
        `view ${i}`,
      ).toBe(true);
    const slabs = new Set(views.map((v) => v.buffer));
    expect(slabs.size).toBeGreaterThan(1);
    for (const v of views) expect(v.byteOffset % 8).toBe(0);
  });

  it('gives large tensors a buffer of their own', () => {
    const big = new TensorArena().float32(10_000);
    expect(big.byteLength).toBe(40_000);
    expect(big.buffer.byteLength).toBe(40_000);
  });
});

describe('compactTensors', () => {
  it('copies views that share a buffer and leaves own buffers alone', () => {
    const arena = new TensorArena();
    const view = arena.float32(3);
    view.set([1, 2, 3]);
    const own = new Float32Array([4, 5]);
    const tensors: TensorMap = {
      a: { datatype: 'FP32', shape: [1, 3], data: view },
      b: { datatype: 'FP32', shape: [1, 2], data: own },
      c: { datatype: 'BYTES', shape: [1], data: ['x'] },
    };
    const compact = compactTensors(tensors);
    expect(compact.a.data).not.toBe(view);
    expect([...(compact.a.data as Float32Array)]).toEqual([1, 2, 3]);
    expect((compact.a.data as Float32Array).buffer.byteLength).toBe(12);
    expect(compact.b.data).toBe(own);
    expect(compact.c).toBe(tensors.c);
    expect(tensors.a.data).toBe(view);
    const alone = { b: tensors.b };
    expect(compactTensors(alone)).toBe(alone);
  });
});
