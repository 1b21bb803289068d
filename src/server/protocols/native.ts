import type { FastifyInstance } from 'fastify';
import { versionView } from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';

/**
 * slipway's own API, under /api/v1, for what no standard protocol covers. Errors are
 * `{code, message, details}` with the catalogue's stable codes.
 */
export async function nativePlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ code: error.code, message: error.message, details: error.details ?? {} });
  });
  const registry = ctx.slipway.registry;
  const tags = ['slipway registry'];

  app.get<{ Querystring: { name_contains?: string; limit?: string; offset?: string } }>(
    '/api/v1/models',
    { schema: { tags, summary: 'Registered models, by name, paged with limit/offset' } },
    async (request) => {
      const limit = clampInt(request.query.limit, 100, 1, 1000);
      const offset = clampInt(request.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
      const models = await registry.listModels({
        nameContains: request.query.name_contains,
        limit: limit + 1,
        offset,
      });
      return {
        models: models.slice(0, limit).map(modelJson),
        next_offset: models.length > limit ? offset + limit : null,
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/models/:name',
    { schema: { tags, summary: 'A registered model with its versions' } },
    async (request) => {
      const model = await registry.getModel(request.params.name);
      const versions = await registry.listVersions(request.params.name);
      return { ...modelJson(model), versions: versions.map(versionView) };
    },
  );

  app.get<{ Params: { name: string; version: string } }>(
    '/api/v1/models/:name/versions/:version',
    { schema: { tags, summary: 'One model version, by number or alias (@champion)' } },
    async (request) => {
      const { name, version } = request.params;
      const ref = version.startsWith('@') ? `${name}${version}` : `${name}:${version}`;
      return versionView(await registry.resolve(ref));
    },
  );
}

function modelJson(m: Awaited<ReturnType<ServingContext['slipway']['registry']['getModel']>>) {
  return {
    name: m.name,
    description: m.description,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    latest_version: m.latestVersion,
    tags: m.tags,
    aliases: m.aliases,
  };
}

function clampInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
