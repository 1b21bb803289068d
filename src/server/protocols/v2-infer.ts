import { SlipwayError } from '../../core/errors.js';
import type { InferResult, ServedVersion } from '../../index.js';
import type { ModelSeries } from '../metrics.js';
import type { ServingContext } from '../serving-context.js';

export interface InferBody {
  id?: unknown;
  parameters?: unknown;
  inputs?: unknown;
  outputs?: unknown;
}

export interface V2Answer {
  body: Record<string, unknown>;
  /** The version that answered, for the `x-model-version` header. */
  version: string;
}

/**
 * One V2 inference, from a parsed body to the response body, with its metrics. Both the fastify
 * route and the raw fast path (fast-infer-path.ts) call this, so they cannot drift apart.
 */
export async function inferV2(
  ctx: ServingContext,
  name: string,
  version: string | null,
  body: InferBody | null | undefined,
  requestId: string,
): Promise<V2Answer> {
  const started = performance.now();
  ctx.metrics.inflight.inc({ protocol: 'v2' });
  // Until the model resolves, count under empty labels: a request's raw name must not mint series.
  let series: ModelSeries | null = null;
  try {
    const served = await ctx.repository.get(name, version);
    series = ctx.metrics.series(served.record.name, String(served.record.version), 'v2');
    if (typeof body !== 'object' || body === null || !Array.isArray(body.inputs)) {
      throw new SlipwayError(
        'RUNTIME_INVALID_INPUT',
        'request body must be a JSON object with an "inputs" array',
      );
    }
    const inputs = served.codec.decodeInputs(body.inputs);
    const outputNames = requestedOutputs(body.outputs, served);
    const result = await ctx.repository.infer(served, inputs, {
      outputs: outputNames,
      timeoutMs: ctx.requestTimeoutMs,
    });
    observe(series, result);
    const response: Record<string, unknown> = {
      model_name: served.record.name,
      model_version: series.labels.version,
    };
    if (body.id !== undefined) response.id = body.id;
    if (body.parameters !== undefined) response.parameters = body.parameters;
    response.outputs = served.codec.encodeOutputs(result.outputs, outputNames);
    series.requests(200);
    if (ctx.predictions !== null) {
      ctx.predictions.record({
        requestId,
        protocol: 'v2',
        model: served.record.name,
        version: served.record.version,
        deployment: null,
        receivedAt: Date.now() - (performance.now() - started),
        latencyMs: performance.now() - started,
        inputs,
        outputs: result.outputs,
        featureNames: (served.record.metadata.featureNames as string[] | null | undefined) ?? null,
        predictionKey: predictionKeyOf(body.parameters),
      });
    }
    return { body: response, version: series.labels.version };
  } catch (err) {
    countFailure(ctx, series ?? ctx.metrics.series('', '', 'v2'), err);
    throw err;
  } finally {
    ctx.metrics.inflight.dec({ protocol: 'v2' });
    (series ?? ctx.metrics.series('', '', 'v2')).duration.observe((performance.now() - started) / 1000);
  }
}

/** V2 `parameters.prediction_key`: the caller's own key for joining late labels. */
export function predictionKeyOf(parameters: unknown): string | null {
  const key = (parameters as { prediction_key?: unknown } | null | undefined)?.prediction_key;
  return typeof key === 'string' || typeof key === 'number' ? String(key) : null;
}

export function observe(series: ModelSeries, result: InferResult): void {
  series.queue.observe(result.queueMs / 1000);
  series.inference.observe(result.inferenceMs / 1000);
  series.batch.observe(result.batchSize);
}

export function countFailure(ctx: ServingContext, series: ModelSeries, err: unknown): void {
  const status =
    err instanceof SlipwayError ? err.httpStatus : ((err as { statusCode?: number }).statusCode ?? 500);
  series.requests(status);
  if (err instanceof SlipwayError && (err.code === 'RUNTIME_OVERLOADED' || err.code === 'RUNTIME_TIMEOUT')) {
    ctx.metrics.rejected.inc({
      ...series.labels,
      reason: err.code === 'RUNTIME_OVERLOADED' ? 'overloaded' : 'timeout',
    });
  }
}

function requestedOutputs(outputs: unknown, served: ServedVersion): string[] | null {
  if (outputs === undefined || outputs === null) return null;
  if (!Array.isArray(outputs)) {
    throw new SlipwayError('RUNTIME_INVALID_INPUT', '"outputs" must be an array of {"name": ...} objects');
  }
  const known = served.index.outputNames;
  return outputs.map((o, i) => {
    const name = (o as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') {
      throw new SlipwayError(
        'RUNTIME_INVALID_INPUT',
        `outputs[${i}]: expected an object with a string "name"`,
      );
    }
    if (!known.includes(name)) {
      throw new SlipwayError(
        'RUNTIME_UNKNOWN_OUTPUT',
        `unknown output "${name}": model "${served.record.name}" has outputs ${known.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return name;
  });
}
