import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError } from '../../core/errors.js';
import type { ServedVersion } from '../../index.js';
import { normaliseError, setRetryAfter } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';
import { type InferBody, inferV2 } from './v2-infer.js';

interface ModelParams {
  name: string;
  version?: string;
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
      models: [...ctx.repository.modelNames(), ...(ctx.deployments?.names() ?? [])].sort(),
    }),
  );

  const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
    // A deployment describes itself with its primary's signature and the versions it answers with.
    const arm = ctx.deployments?.primary(request.params.name, request.params.version ?? null) ?? null;
    if (arm !== null) {
      const versions = ctx.deployments!.live(arm.deployment)!.arms.map((a) => a.versionText);
      return { ...modelMetadata(arm.served), name: arm.deployment, versions: [...new Set(versions)] };
    }
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
    try {
      // A deployment is ready once its live revision is in force here (its versions are loaded).
      if (ctx.deployments?.primary(request.params.name, request.params.version ?? null)) {
        return { name: request.params.name, ready: true };
      }
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'RUNTIME_MODEL_NOT_READY') {
        return reply.code(503).send({ error: err.message });
      }
      throw err;
    }
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
  const answer = await inferV2(
    ctx,
    request.params.name,
    request.params.version ?? null,
    request.body,
    request.id,
    request.headers,
  );
  reply.header('x-model-version', answer.version);
  if (answer.revision !== null) reply.header('x-deployment-revision', answer.revision);
  reply.type('application/json; charset=utf-8');
  return answer.text;
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
