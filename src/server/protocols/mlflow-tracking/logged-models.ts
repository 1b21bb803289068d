import type { FastifyInstance } from 'fastify';
import type { LoggedModelRecord, Slipway } from '../../../index.js';
import { sendArtifact } from './artifacts.js';
import {
  bool,
  type Fields,
  fieldsOf,
  fileInfoJson,
  int,
  keyValues,
  list,
  loggedModelJson,
  objects,
  str,
  withToken,
} from './wire.js';

/** Logged models, MLflow 3 (protocols.md D.6), relative to `/api/2.0/mlflow`. */
export function loggedModelRoutes(app: FastifyInstance, slipway: Slipway): void {
  const t = slipway.tracking;
  const encode = async (m: LoggedModelRecord) => {
    const links = await slipway.trackingStore.listVersionLinks({ modelId: m.modelId });
    return loggedModelJson(
      m,
      links.map((l) => ({ name: l.name, version: String(l.version) })),
    );
  };

  app.post('/logged-models', async (req) => {
    const f = fieldsOf(req);
    const model = await t.createLoggedModel({
      experimentId: str(f, 'experiment_id'),
      name: str(f, 'name') ?? null,
      modelType: str(f, 'model_type') ?? null,
      sourceRunId: str(f, 'source_run_id') ?? null,
      params: keyValues(f, 'params'),
      tags: keyValues(f, 'tags'),
    });
    return { model: await encode(model) };
  });

  app.post('/logged-models/search', async (req) => {
    const f = fieldsOf(req);
    const page = await t.searchLoggedModels({
      experimentIds: list(f, 'experiment_ids'),
      filter: str(f, 'filter') ?? null,
      maxResults: int(f, 'max_results') ?? null,
      orderBy: objects(f, 'order_by').map((o: Fields) => ({
        fieldName: str(o, 'field_name') ?? '',
        ascending: bool(o, 'ascending') ?? true,
      })),
      pageToken: str(f, 'page_token') ?? null,
    });
    const models = await Promise.all(page.items.map(encode));
    return withToken(models.length > 0 ? { models } : {}, page.nextPageToken);
  });

  app.get('/logged-models/:model_id', async (req) => {
    return { model: await encode(await t.getLoggedModel(str(fieldsOf(req), 'model_id'))) };
  });

  app.patch('/logged-models/:model_id', async (req) => {
    const f = fieldsOf(req);
    return { model: await encode(await t.finalizeLoggedModel(str(f, 'model_id'), f.status)) };
  });

  app.delete('/logged-models/:model_id', async (req) => {
    await t.deleteLoggedModel(str(fieldsOf(req), 'model_id'));
    return {};
  });

  app.patch('/logged-models/:model_id/tags', async (req) => {
    const f = fieldsOf(req);
    return { model: await encode(await t.setLoggedModelTags(str(f, 'model_id'), keyValues(f, 'tags'))) };
  });

  app.delete('/logged-models/:model_id/tags/:tag_key', async (req) => {
    const f = fieldsOf(req);
    await t.deleteLoggedModelTag(str(f, 'model_id'), str(f, 'tag_key'));
    return {};
  });

  app.post('/logged-models/:model_id/params', async (req) => {
    const f = fieldsOf(req);
    await t.logLoggedModelParams(str(f, 'model_id'), keyValues(f, 'params'));
    return {};
  });

  app.get('/logged-models/:model_id/artifacts/directories', async (req) => {
    const f = fieldsOf(req);
    const { rootUri, files } = await t.listLoggedModelArtifacts(
      str(f, 'model_id'),
      str(f, 'artifact_directory_path') ?? null,
    );
    return files.length > 0 ? { root_uri: rootUri, files: files.map(fileInfoJson) } : { root_uri: rootUri };
  });

  // UI only (ajax-api): one file of a logged model.
  app.get('/logged-models/:model_id/artifacts/files', async (req, reply) => {
    const f = fieldsOf(req);
    const model = await t.getLoggedModel(str(f, 'model_id'));
    return sendArtifact(slipway, reply, model.artifactUri, str(f, 'artifact_file_path') ?? '');
  });
}
