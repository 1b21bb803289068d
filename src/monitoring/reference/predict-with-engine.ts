import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../../core/errors.js';
import type { Tensor, TensorMap } from '../../runtime/tensor.js';
import type { InferenceEngine } from '../../serving/inference-engine.js';
import type { ModelVersionRecord } from '../../store/registry-store.js';

/** Rows per inference call: bounded memory, and large enough that per-call costs vanish. */
const CHUNK_ROWS = 8192;

/**
 * Runs a model version over inputs of any number of rows on a throwaway engine key, in chunks,
 * and joins the answers: how a reference dataset gets the model's own predictions.
 */
export async function predictWithEngine(
  engine: InferenceEngine,
  record: ModelVersionRecord,
  bytes: Uint8Array,
  inputs: TensorMap,
): Promise<TensorMap> {
  const key = `monitoring/${record.name}:${record.version}/${randomUUID()}`;
  await engine.load(key, bytes, record.signature);
  try {
    const n = Object.values(inputs)[0]?.shape[0] ?? 0;
    const parts: TensorMap[] = [];
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const chunk = sliceRows(inputs, start, Math.min(n, start + CHUNK_ROWS));
      parts.push((await engine.infer(key, chunk, { timeoutMs: 600_000 })).outputs);
    }
    return concatRows(parts);
  } catch (err) {
    throw new SlipwayError(
      'RUNTIME_INFERENCE_FAILED',
      `running model "${record.name}" version ${record.version} over its reference dataset failed: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      { cause: err },
    );
  } finally {
    await engine.unload(key);
  }
}

function sliceRows(inputs: TensorMap, start: number, end: number): TensorMap {
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(inputs)) {
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
    out[name] = {
      datatype: t.datatype,
      shape: [end - start, ...t.shape.slice(1)],
      data: t.data.slice(start * width, end * width),
    } as Tensor;
  }
  return out;
}

function concatRows(parts: TensorMap[]): TensorMap {
  if (parts.length === 1) return parts[0];
  const out: TensorMap = {};
  if (parts.length === 0) return out;
  for (const name of Object.keys(parts[0])) {
    const first = parts[0][name];
    const rows = parts.reduce((n, p) => n + p[name].shape[0], 0);
    const length = parts.reduce((n, p) => n + p[name].data.length, 0);
    let data: Tensor['data'];
    if (Array.isArray(first.data)) data = parts.flatMap((p) => p[name].data as string[]);
    else {
      const Ctor = (
        first.data as unknown as {
          constructor: new (n: number) => { set(a: ArrayLike<unknown>, o: number): void };
        }
      ).constructor;
      const joined = new Ctor(length);
      let offset = 0;
      for (const p of parts) {
        joined.set(p[name].data as never, offset);
        offset += p[name].data.length;
      }
      data = joined as unknown as Tensor['data'];
    }
    out[name] = { datatype: first.datatype, shape: [rows, ...first.shape.slice(1)], data } as Tensor;
  }
  return out;
}
