import type { IncomingHttpHeaders } from 'node:http';
import { SlipwayError } from '../../core/errors.js';
import type { Arm, InferResult, ServedVersion, TensorMap } from '../../index.js';
import type { ModelSeries } from '../metrics.js';
import type { ServingContext } from '../serving-context.js';

export interface InferBody {
  id?: unknown;
  parameters?: unknown;
  inputs?: unknown;
  outputs?: unknown;
}

export interface V2Answer {
  /** The response body, JSON text. */
  text: string;
  /** The version that answered, for the `x-model-version` header. */
  version: string;
  /** The deployment revision that routed the request (`x-deployment-revision`), or null for a model. */
  revision: string | null;
}

/**
 * One V2 inference, from a parsed body to the response body, with its metrics. Both the fastify
 * route and the raw fast path (fast-infer-path.ts) call this, so they cannot drift apart.
 *
 * A name that is a deployment is routed by its live revision (the headers and body carry A/B
 * keys); the arm picked here is the only version the request touches, and a shadow copy, if the
 * revision has one, is queued after the answer is built and runs after it is sent.
 */
export async function inferV2(
  ctx: ServingContext,
  name: string,
  version: string | null,
  body: InferBody | null | undefined,
  requestId: string,
  headers: IncomingHttpHeaders,
): Promise<V2Answer> {
  const started = performance.now();
  ctx.metrics.inflightV2.inc();
  // Until the model resolves, count under empty labels: a request's raw name must not mint series.
  let series: ModelSeries | null = null;
  let arm: Arm | null = null;
  try {
    arm = ctx.deployments === null ? null : ctx.deployments.route(name, version, headers, body);
    const served = arm === null ? await ctx.repository.get(name, version) : arm.served;
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
    // The response as JSON text, in the order a JSON.stringify of {model_name, model_version,
    // id?, parameters?, outputs} would write it; the outputs are written straight from the tensors.
    let text = served.codec.answerHead(served.record.name, series.labels.version);
    if (body.id !== undefined) text += `,"id":${JSON.stringify(body.id)}`;
    if (body.parameters !== undefined) text += `,"parameters":${JSON.stringify(body.parameters)}`;
    text += `,"outputs":${served.codec.encodeOutputsJson(result.outputs, outputNames)}}`;
    series.requests(200);
    // One clock read for the arm's counters and the log (each read costs tens of ns per request).
    const ms = performance.now() - started;
    if (arm !== null) {
      arm.counters.ok(ms);
      if (arm.shadow !== null) {
        ctx.deployments!.shadow({
          primary: arm,
          requestId,
          inputs,
          decode: decodeV2Inputs,
          payload: body.inputs,
          primaryOutputs: result.outputs,
          primaryMs: ms,
          at: Date.now(),
        });
      }
    }
    if (ctx.predictions !== null) {
      ctx.predictions.record({
        requestId,
        protocol: 'v2',
        model: served.record.name,
        version: served.record.version,
        deployment: arm?.deployment ?? null,
        receivedAt: Date.now() - ms,
        latencyMs: ms,
        inputs,
        outputs: result.outputs,
        featureNames: (served.record.metadata.featureNames as string[] | null | undefined) ?? null,
        predictionKey: predictionKeyOf(body.parameters),
      });
    }
    return { text, version: series.labels.version, revision: arm?.revisionText ?? null };
  } catch (err) {
    countFailure(ctx, series ?? ctx.metrics.series('', '', 'v2'), err);
    arm?.counters.fail(statusOf(err), performance.now() - started);
    throw err;
  } finally {
    ctx.metrics.inflightV2.dec();
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

/** A shadow whose inputs differ from the primary's decodes the request's V2 inputs itself. */
function decodeV2Inputs(served: ServedVersion, inputs: unknown): TensorMap {
  return served.codec.decodeInputs(inputs as unknown[]);
}

/** The HTTP status an error is answered with. */
export function statusOf(err: unknown): number {
  return err instanceof SlipwayError ? err.httpStatus : ((err as { statusCode?: number }).statusCode ?? 500);
}

export function countFailure(ctx: ServingContext, series: ModelSeries, err: unknown): void {
  const status = statusOf(err);
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
