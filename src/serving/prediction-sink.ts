import type { TensorMap } from '../runtime/tensor.js';

/** One answered prediction, as the serving path hands it to monitoring. */
export interface PredictionEvent {
  /** The request id (X-Request-Id or generated), the key feedback joins on. */
  requestId: string;
  protocol: 'v2' | 'mlflow';
  model: string;
  version: number;
  /** The endpoint name the caller used when it was a deployment rather than a model. */
  deployment: string | null;
  /** Milliseconds since the epoch when the request arrived. */
  receivedAt: number;
  latencyMs: number;
  /** The decoded request tensors and the answered output tensors (owned by the event: keep or copy). */
  inputs: TensorMap;
  outputs: TensorMap;
  /** Feature names recorded at registration, to name the columns of a 2-D input. */
  featureNames: string[] | null;
  /** Caller-provided key to join late labels on (V2 `parameters.prediction_key`), or null. */
  predictionKey: string | null;
}

/**
 * Where answered predictions go. `record` is called on the request path after the answer is
 * ready: it must only enqueue (never block, never throw); the writer batches off the request path.
 */
export interface PredictionSink {
  record(event: PredictionEvent): void;
}
