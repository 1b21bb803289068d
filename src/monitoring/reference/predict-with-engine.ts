import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../../core/errors.js';
import { concatRows, sliceRows } from '../../runtime/batch-merge.js';
import type { TensorMap } from '../../runtime/tensor.js';
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
