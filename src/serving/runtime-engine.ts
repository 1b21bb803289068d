import type { InferenceRuntime } from '../runtime/inference-runtime.js';
import type { InferenceEngine } from './inference-engine.js';

/** The local inference runtime as serving's engine. */
export function runtimeEngine(runtime: InferenceRuntime): InferenceEngine {
  return {
    load: (key, bytes, signature) => runtime.load(key, { bytes }, signature),
    unload: (key) => runtime.unload(key),
    infer: (key, inputs, options) => runtime.infer(key, inputs, options),
  };
}
