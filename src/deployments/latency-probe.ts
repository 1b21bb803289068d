import { randomUUID } from 'node:crypto';
import type { Registry } from '../registry/registry.js';
import type { TensorMap } from '../runtime/tensor.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { LatencyHistogram } from './latency-histogram.js';

export interface LatencyProbeResult {
  requests: number;
  concurrency: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  throughputPerSecond: number;
}

/**
 * A short closed-loop load on one version: `concurrency` callers each sending single-row requests
 * (cycling through `rows`) until `requests` were answered, through the engine's dynamic batcher as
 * live traffic would be. The version is loaded under a throwaway key and unloaded after.
 */
export async function probeLatency(
  engine: InferenceEngine,
  registry: Pick<Registry, 'servedModelBytes'>,
  record: ModelVersionRecord,
  rows: readonly TensorMap[],
  options: { requests: number; concurrency: number },
): Promise<LatencyProbeResult> {
  const key = `probe/${record.name}:${record.version}/${randomUUID()}`;
  await engine.load(key, await registry.servedModelBytes(record), record.signature);
  const histogram = new LatencyHistogram();
  let sent = 0;
  let errors = 0;
  const started = performance.now();
  try {
    const caller = async () => {
      while (sent < options.requests) {
        const inputs = rows[sent++ % rows.length];
        const t0 = performance.now();
        try {
          await engine.infer(key, inputs, { timeoutMs: 60_000 });
        } catch {
          errors++;
        }
        histogram.observe(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, caller));
  } finally {
    await engine.unload(key);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: histogram.count,
    concurrency: options.concurrency,
    errors,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    throughputPerSecond: seconds > 0 ? histogram.count / seconds : 0,
  };
}
