import type { FastifyInstance } from 'fastify';
import type { Slipway } from '../../../index.js';
import {
  bool,
  type Fields,
  fieldsOf,
  int,
  keyValues,
  list,
  modelVersionJson,
  registeredModelJson,
  str,
  withToken,
} from './wire.js';

/** Registered models and model versions (protocols.md D.7, D.8) over slipway's one registry. */
export function registryRoutes(app: FastifyInstance, slipway: Slipway): void {
  const r = slipway.mlflowRegistry;

  app.post('/registered-models/create', async (req) => {
    const f = fieldsOf(req);
    const model = await r.createRegisteredModel({
      name: str(f, 'name'),
      description: str(f, 'description') ?? null,
      tags: keyValues(f, 'tags'),
    });
    return { registered_model: registeredModelJson(model) };
  });

  app.get('/registered-models/get', async (req) => ({
    registered_model: registeredModelJson(await r.getRegisteredModel(str(fieldsOf(req), 'name'))),
  }));

  app.post('/registered-models/rename', async (req) => {
    const f = fieldsOf(req);
    return {
      registered_model: registeredModelJson(
        await r.renameRegisteredModel(str(f, 'name'), str(f, 'new_name')),
      ),
    };
  });

  app.patch('/registered-models/update', async (req) => {
    const f = fieldsOf(req);
    return {
      registered_model: registeredModelJson(
        await r.updateRegisteredModel(str(f, 'name'), str(f, 'description') ?? null),
      ),
    };
  });

  app.delete('/registered-models/delete', async (req) => {
    await r.deleteRegisteredModel(str(fieldsOf(req), 'name'));
    return {};
  });

  app.get('/registered-models/search', async (req) => {
    const f = fieldsOf(req);
    const page = await r.searchRegisteredModels({
      filter: str(f, 'filter') ?? null,
      maxResults: int(f, 'max_results') ?? null,
      orderBy: list(f, 'order_by'),
      pageToken: str(f, 'page_token') ?? null,
    });
    const body = page.items.length > 0 ? { registered_models: page.items.map(registeredModelJson) } : {};
    return withToken(body, page.nextPageToken);
  });

  const latest = async (f: Fields) => {
    const versions = await r.getLatestVersions(str(f, 'name'), list(f, 'stages'));
    return versions.length > 0 ? { model_versions: versions.map(modelVersionJson) } : {};
  };
  app.post('/registered-models/get-latest-versions', async (req) => latest(fieldsOf(req)));
  app.get('/registered-models/get-latest-versions', async (req) => latest(fieldsOf(req)));

  app.post('/registered-models/set-tag', async (req) => {
    const f = fieldsOf(req);
    await r.setRegisteredModelTag(str(f, 'name'), str(f, 'key'), f.value);
    return {};
  });

  app.delete('/registered-models/delete-tag', async (req) => {
    const f = fieldsOf(req);
    await r.deleteRegisteredModelTag(str(f, 'name'), str(f, 'key'));
    return {};
  });

  app.post('/registered-models/alias', async (req) => {
    const f = fieldsOf(req);
    await r.setAlias(str(f, 'name'), str(f, 'alias'), str(f, 'version'));
    return {};
  });

  app.delete('/registered-models/alias', async (req) => {
    const f = { ...(req.query as Fields), ...fieldsOf(req) };
    await r.deleteAlias(str(f, 'name'), str(f, 'alias'));
    return {};
  });

  app.get('/registered-models/alias', async (req) => {
    const f = fieldsOf(req);
    return { model_version: modelVersionJson(await r.getVersionByAlias(str(f, 'name'), str(f, 'alias'))) };
  });

  app.post('/model-versions/create', async (req) => {
    const f = fieldsOf(req);
    const version = await r.createModelVersion({
      name: str(f, 'name'),
      source: str(f, 'source'),
      runId: str(f, 'run_id') ?? null,
      tags: keyValues(f, 'tags'),
      runLink: str(f, 'run_link') ?? null,
      description: str(f, 'description') ?? null,
      modelId: str(f, 'model_id') ?? null,
      userId: null,
    });
    return { model_version: modelVersionJson(version) };
  });

  app.get('/model-versions/get', async (req) => {
    const f = fieldsOf(req);
    return { model_version: modelVersionJson(await r.getModelVersion(str(f, 'name'), str(f, 'version'))) };
  });

  app.patch('/model-versions/update', async (req) => {
    const f = fieldsOf(req);
    const v = await r.updateModelVersion(str(f, 'name'), str(f, 'version'), str(f, 'description') ?? null);
    return { model_version: modelVersionJson(v) };
  });

  app.delete('/model-versions/delete', async (req) => {
    const f = { ...(req.query as Fields), ...fieldsOf(req) };
    await r.deleteModelVersion(str(f, 'name'), str(f, 'version'));
    return {};
  });

  app.get('/model-versions/search', async (req) => {
    const f = fieldsOf(req);
    const page = await r.searchModelVersions({
      filter: str(f, 'filter') ?? null,
      maxResults: int(f, 'max_results') ?? null,
      orderBy: list(f, 'order_by'),
      pageToken: str(f, 'page_token') ?? null,
    });
    const body = page.items.length > 0 ? { model_versions: page.items.map(modelVersionJson) } : {};
    return withToken(body, page.nextPageToken);
  });

  app.post('/model-versions/transition-stage', async (req) => {
    const f = fieldsOf(req);
    const v = await r.transitionStage(
      str(f, 'name'),
      str(f, 'version'),
      str(f, 'stage'),
      bool(f, 'archive_existing_versions') ?? false,
    );
    return { model_version: modelVersionJson(v) };
  });

  app.get('/model-versions/get-download-uri', async (req) => {
    const f = fieldsOf(req);
    return { artifact_uri: await r.getDownloadUri(str(f, 'name'), str(f, 'version')) };
  });

  app.post('/model-versions/set-tag', async (req) => {
    const f = fieldsOf(req);
    await r.setVersionTag(str(f, 'name'), str(f, 'version'), str(f, 'key'), f.value);
    return {};
  });

  app.delete('/model-versions/delete-tag', async (req) => {
    const f = { ...(req.query as Fields), ...fieldsOf(req) };
    await r.deleteVersionTag(str(f, 'name'), str(f, 'version'), str(f, 'key'));
    return {};
  });
}
