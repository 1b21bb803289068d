import type { FastifyInstance } from 'fastify';
import type { Slipway, ViewType } from '../../../index.js';
import { SlipwayError, VIEW_TYPES } from '../../../index.js';
import { experimentJson, type Fields, fieldsOf, int, keyValues, list, str, withToken } from './wire.js';

/** Experiments (protocols.md D.3), relative to `/api/2.0/mlflow`. */
export function experimentRoutes(app: FastifyInstance, slipway: Slipway): void {
  const t = slipway.tracking;

  app.post('/experiments/create', async (req) => {
    const f = fieldsOf(req);
    const id = await t.createExperiment({
      name: f.name,
      artifactLocation: str(f, 'artifact_location') ?? null,
      tags: keyValues(f, 'tags'),
    });
    return { experiment_id: id };
  });

  app.get('/experiments/get', async (req) => {
    const f = fieldsOf(req);
    return { experiment: experimentJson(await t.getExperiment(str(f, 'experiment_id'))) };
  });

  app.get('/experiments/get-by-name', async (req) => {
    const f = fieldsOf(req);
    return { experiment: experimentJson(await t.getExperimentByName(str(f, 'experiment_name'))) };
  });

  const search = async (f: Fields) => {
    const page = await t.searchExperiments({
      viewType: viewTypeOf(f.view_type),
      maxResults: int(f, 'max_results') ?? null,
      filter: str(f, 'filter') ?? null,
      orderBy: list(f, 'order_by'),
      pageToken: str(f, 'page_token') ?? null,
    });
    const body = page.items.length > 0 ? { experiments: page.items.map(experimentJson) } : {};
    return withToken(body, page.nextPageToken);
  };
  app.post('/experiments/search', async (req) => search(fieldsOf(req)));
  app.get('/experiments/search', async (req) => search(fieldsOf(req)));

  app.post('/experiments/update', async (req) => {
    const f = fieldsOf(req);
    await t.renameExperiment(str(f, 'experiment_id'), str(f, 'new_name'));
    return {};
  });

  app.post('/experiments/delete', async (req) => {
    await t.deleteExperiment(str(fieldsOf(req), 'experiment_id'));
    return {};
  });

  app.post('/experiments/restore', async (req) => {
    await t.restoreExperiment(str(fieldsOf(req), 'experiment_id'));
    return {};
  });

  app.post('/experiments/set-experiment-tag', async (req) => {
    const f = fieldsOf(req);
    await t.setExperimentTag(str(f, 'experiment_id'), str(f, 'key'), f.value);
    return {};
  });

  app.post('/experiments/delete-experiment-tag', async (req) => {
    const f = fieldsOf(req);
    await t.deleteExperimentTag(str(f, 'experiment_id'), str(f, 'key'));
    return {};
  });
}

/** A ViewType given by name or number (ACTIVE_ONLY = 1, DELETED_ONLY = 2, ALL = 3). */
export function viewTypeOf(v: unknown): ViewType | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const raw = Array.isArray(v) ? v[0] : v;
  const byNumber = /^\d+$/.test(String(raw)) ? VIEW_TYPES[Number(raw) - 1] : undefined;
  const found = byNumber ?? VIEW_TYPES.find((x) => x === String(raw).toUpperCase());
  if (!found) {
    throw new SlipwayError(
      'TRACKING_INVALID_PARAMETER',
      `Invalid value ${JSON.stringify(raw)} for parameter 'view_type' supplied: expected one of ${VIEW_TYPES.join(', ')}`,
    );
  }
  return found;
}
