/**
 * Small request tensors carved out of shared slabs.
 *
 * Why: a typed array over 64 bytes gets its own off-heap backing store, and V8 takes ~300 ns to
 * allocate one (`new Float32Array(30)` on this machine), against ~20 ns for a view into an existing
 * ArrayBuffer (bench/serving/README.md). A single-row request allocates one per input, so serving
 * spends more on the allocation than on filling it.
 *
 * A slab is only ever bumped, never reused: a view handed out stays valid for as long as someone
 * holds it (a shadow copy, a queued request), and a slab is collected once its last view is. The
 * price is that a view pins its slab, so only small tensors come from here, and anything that sends
 * a tensor to another thread must not transfer a view's buffer (it is shared with other tensors) —
 * see `compactTensors`.
 */

import type { TensorMap } from './tensor.js';

/** Slab size: 64 KiB holds ~540 single-row requests of 30 floats. */
const SLAB_BYTES = 64 * 1024;
/** Tensors larger than this get their own buffer (a slab holds at least 16 of the largest). */
const MAX_CARVED_BYTES = 4 * 1024;

export class TensorArena {
  #slab = new ArrayBuffer(SLAB_BYTES);
  #offset = 0;

  float32(length: number): Float32Array {
    const bytes = length * 4;
    if (bytes > MAX_CARVED_BYTES) return new Float32Array(length);
    const at = this.#carve(bytes);
    return new Float32Array(this.#slab, at, length);
  }

  float64(length: number): Float64Array {
    const bytes = length * 8;
    if (bytes > MAX_CARVED_BYTES) return new Float64Array(length);
    const at = this.#carve(bytes);
    return new Float64Array(this.#slab, at, length);
  }

  /** Where `bytes` start in the current slab (8-byte aligned); starts a new slab when full. */
  #carve(bytes: number): number {
    const size = alignUp(bytes);
    if (this.#offset + size > SLAB_BYTES) {
      this.#slab = new ArrayBuffer(SLAB_BYTES);
      this.#offset = 0;
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }
}

function alignUp(bytes: number): number {
  return (bytes + 7) & ~7;
}

/**
 * The tensors with every view that shares a larger buffer copied out to a buffer of its own. Posting
 * a view to a worker clones its whole buffer (a 64 KiB slab for a 120-byte tensor), and transferring
 * it would detach every other tensor on the slab.
 */
export function compactTensors(tensors: TensorMap): TensorMap {
  let out: TensorMap | null = null;
  for (const name in tensors) {
    const t = tensors[name];
    const data = t.data;
    if (Array.isArray(data) || data.byteLength === data.buffer.byteLength) continue;
    out ??= { ...tensors };
    out[name] = { ...t, data: data.slice() } as typeof t;
  }
  return out ?? tensors;
}
