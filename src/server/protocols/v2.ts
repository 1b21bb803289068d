import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError } from '../../core/errors.js';
import type { InferResult, ServedVersion } from '../../index.js';
import { normaliseError, setRetryAfter } from '../error-mapping.js';
import type { ModelSeries } from '../metrics.js';
import type { ServingContext } from '../serving-context.js';

interface ModelParams {
  name: string;
  version?: string;
}

interface InferBody {
  id?: unknown;
  parameters?: unknown;
  inputs?: unknown;
  outputs?: unknown;
}

/**
 * Open Inference Protocol (KServe V2) REST, protocols.md A. Errors are `{"error": msg}`; "not
 * ready" answers 503 (KServe's choice, A.3), which every client treats as false.
 */
export async function v2Plugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    setRetryAfter(reply, error);
    reply.code(status).send({ error: error.message });
  });

  const tags = ['Open Inference Protocol (V2)'];
  app.get('/v2/health/live', { schema: { tags, summary: 'Server liveness' } }, async () => ({ live: true }));

  app.get(
    '/v2/health/ready',
    { schema: { tags, summary: 'Server readiness: every served model has finished loading' } },
    async (_req, reply) => {
      if (ctx.repository.isReady()) return { ready: true };
      return reply.code(503).send({ error: 'server is not ready: models are still loading' });
    },
  );

  app.get('/v2', { schema: { tags, summary: 'Server metadata' } }, async () => ({
    name: 'slipway',
    version: ctx.version,
    extensions: ['model_repository'],
  }));

  app.get(
    '/v2/models',
    { schema: { tags, summary: 'Names of the served models (KServe extension)' } },
    async () => ({
      models: ctx.repository.modelNames(),
    }),
  );

  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    const served = await ctx.repository.get(request.params.name, request.params.version ?? null);
    return modelMetadata(served);
  };
  app.get<{ Params: ModelParams }>(
    '/v2/models/:name',
    { schema: { tags, summary: 'Model metadata (default version)' } },
    metadata,
  );
  app.get<{ Params: ModelParams }>(
    '/v2/models/:name/versions/:version',
    { schema: { tags, summary: 'Model version metadata' } },
    metadata,
  );

  const ready = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const served = await ctx.repository.get(request.params.name, request.params.version ?? null);
    if (served.state === 'LOADING') await served.loaded;
    if (served.state === 'READY') return { name: served.record.name, ready: true };
    return reply.code(503).send({
      error: `model "${served.record.name}" version ${served.record.version} is not ready: ${served.error ?? 'loading'}`,
    });
  };
  app.get<{ Params: ModelParams }>(
    '/v2/models/:name/ready',
    { schema: { tags, summary: 'Model readiness' } },
    ready,
  );
  app.get<{ Params: ModelParams }>(
    '/v2/models/:name/versions/:version/ready',
    { schema: { tags, summary: 'Model version readiness' } },
    ready,
  );

  const infer = (request: FastifyRequest<{ Params: ModelParams; Body: InferBody }>, reply: FastifyReply) =>
    handleInfer(ctx, request, reply);
  const inferSchema = {
    tags,
    summary: 'Inference',
    description: 'Body: {id?, parameters?, inputs: [{name, shape, datatype, data}], outputs?: [{name}]}',
  };
  app.post<{ Params: ModelParams; Body: InferBody }>(
    '/v2/models/:name/infer',
    { schema: inferSchema },
    infer,
  );
  app.post<{ Params: ModelParams; Body: InferBody }>(
    '/v2/models/:name/versions/:version/infer',
    { schema: inferSchema },
    infer,
  );

  app.post(
    '/v2/repository/index',
    { schema: { tags, summary: 'Model repository index' } },
    async (request) => {
      const onlyReady = Boolean((request.body as { ready?: unknown } | undefined)?.ready);
      return ctx.repository
        .servedVersions()
        .filter((v) => !onlyReady || v.state === 'READY')
        .map((v) => ({
          name: v.record.name,
          version: String(v.record.version),
          state: v.state === 'FAILED' ? 'UNAVAILABLE' : v.state,
          reason: v.error ?? '',
        }));
    },
  );
}

async function handleInfer(
  ctx: ServingContext,
  request: FastifyRequest<{ Params: ModelParams; Body: InferBody }>,
  reply: FastifyReply,
) {
  const started = performance.now();
  const { name, version } = request.params;
  ctx.metrics.inflight.inc({ protocol: 'v2' });
  // Until the model resolves, count under empty labels: a request's raw name must not mint series.
  let series: ModelSeries | null = null;
  try {
    const served = await ctx.repository.get(name, version ?? null);
    series = ctx.metrics.series(served.record.name, String(served.record.version), 'v2');
    const body = request.body;
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
    reply.header('x-model-version', series.labels.version);
    series.requests(200);
    return response;
  } catch (err) {
    countFailure(ctx, series ?? ctx.metrics.series('', '', 'v2'), err);
    throw err;
  } finally {
    ctx.metrics.inflight.dec({ protocol: 'v2' });
    (series ?? ctx.metrics.series('', '', 'v2')).duration.observe((performance.now() - started) / 1000);
  }
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

function modelMetadata(served: ServedVersion) {
  const spec = (t: { name: string; datatype: string; shape: number[] }) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
  });
  return {
    name: served.record.name,
    versions: [String(served.record.version)],
    platform: 'onnxruntime_onnx',
    inputs: served.record.signature.inputs.map(spec),
    outputs: served.record.signature.outputs.map(spec),
  };
}
