import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DatasetInputRecord, MetricInput, Slipway } from '../../../index.js';
import { SlipwayError } from '../../../index.js';
import { viewTypeOf } from './experiments.js';
import { runsSearchText } from './run-json-text.js';
import {
  double,
  type Fields,
  fieldsOf,
  fileInfoJson,
  int,
  int64,
  keyValues,
  list,
  metricJson,
  objects,
  runIdOf,
  runInfoJson,
  runJson,
  str,
  withToken,
} from './wire.js';

// MLflow checks the size of a log-batch request before anything else (validation.py).
const MAX_BATCH_REQUEST_BYTES = 1_000_000;

/** Runs, metric history and the run artifact listing (protocols.md D.4, D.5). */
export function runRoutes(app: FastifyInstance, slipway: Slipway): void {
  const t = slipway.tracking;

  app.post('/runs/create', async (req) => {
    const f = fieldsOf(req);
    const run = await t.createRun({
      experimentId: str(f, 'experiment_id') ?? null,
      userId: str(f, 'user_id') ?? null,
      runName: str(f, 'run_name') ?? null,
      startTime: int(f, 'start_time') ?? null,
      tags: keyValues(f, 'tags'),
    });
    return { run: runJson(run) };
  });

  app.get('/runs/get', async (req) => ({ run: runJson(await t.getRun(runIdOf(fieldsOf(req)))) }));

  app.post('/runs/update', async (req) => {
    const f = fieldsOf(req);
    const status = f.status;
    const info = await t.updateRun(runIdOf(f), {
      status: typeof status === 'number' ? RUN_STATUS_NUMBERS[status] : (str(f, 'status') ?? null),
      endTime: int(f, 'end_time') ?? null,
      runName: str(f, 'run_name') ?? null,
    });
    return { run_info: runInfoJson(info) };
  });

  app.post('/runs/delete', async (req) => {
    await t.deleteRun(runIdOf(fieldsOf(req)));
    return {};
  });

  app.post('/runs/restore', async (req) => {
    await t.restoreRun(runIdOf(fieldsOf(req)));
    return {};
  });

  // A page may hold 50,000 runs: its JSON text is written directly (run-json-text.ts).
  const search = async (f: Fields, reply: FastifyReply) => {
    const page = await t.searchRuns({
      experimentIds: list(f, 'experiment_ids'),
      filter: str(f, 'filter') ?? null,
      viewType: viewTypeOf(f.run_view_type),
      maxResults: int(f, 'max_results') ?? null,
      orderBy: list(f, 'order_by'),
      pageToken: str(f, 'page_token') ?? null,
    });
    reply.type('application/json; charset=utf-8');
    return runsSearchText(page.items, page.nextPageToken);
  };
  app.post('/runs/search', async (req, reply) => search(fieldsOf(req), reply));
  app.get('/runs/search', async (req, reply) => search(fieldsOf(req), reply));

  app.post('/runs/log-metric', async (req) => {
    const f = fieldsOf(req);
    await t.logMetric(runIdOf(f), metricOf(f));
    return {};
  });

  app.post('/runs/log-parameter', async (req) => {
    const f = fieldsOf(req);
    await t.logParam(runIdOf(f), str(f, 'key'), f.value);
    return {};
  });

  app.post('/runs/set-tag', async (req) => {
    const f = fieldsOf(req);
    await t.setTag(runIdOf(f), str(f, 'key'), f.value);
    return {};
  });

  app.post('/runs/delete-tag', async (req) => {
    const f = fieldsOf(req);
    await t.deleteTag(runIdOf(f), str(f, 'key'));
    return {};
  });

  app.post('/runs/log-batch', async (req) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BATCH_REQUEST_BYTES) {
      throw new SlipwayError(
        'TRACKING_INVALID_PARAMETER',
        `Batched logging API requests must be at most ${MAX_BATCH_REQUEST_BYTES} bytes, got a request of size ${length}.`,
      );
    }
    const f = fieldsOf(req);
    await t.logBatch(runIdOf(f), {
      metrics: objects(f, 'metrics').map(metricOf),
      params: objects(f, 'params').map((p) => ({ key: p.key, value: p.value ?? '' })),
      tags: objects(f, 'tags').map((x) => ({ key: x.key, value: x.value ?? '' })),
    });
    return {};
  });

  app.post('/runs/log-model', async (req) => {
    const f = fieldsOf(req);
    await t.recordLoggedModel(runIdOf(f), f.model_json);
    return {};
  });

  app.post('/runs/log-inputs', async (req) => {
    const f = fieldsOf(req);
    const datasets: DatasetInputRecord[] = objects(f, 'datasets').map((d) => {
      const ds = (d.dataset ?? {}) as Fields;
      return {
        tags: keyValues(d, 'tags'),
        dataset: {
          name: str(ds, 'name') ?? '',
          digest: str(ds, 'digest') ?? '',
          sourceType: str(ds, 'source_type') ?? '',
          source: str(ds, 'source') ?? '',
          schema: str(ds, 'schema') ?? null,
          profile: str(ds, 'profile') ?? null,
        },
      };
    });
    const modelIds = objects(f, 'models')
      .map((m) => str(m, 'model_id'))
      .filter((m): m is string => Boolean(m));
    await t.logInputs(runIdOf(f), { datasets, modelIds });
    return {};
  });

  app.post('/runs/outputs', async (req) => {
    const f = fieldsOf(req);
    const models = objects(f, 'models').map((m) => ({
      modelId: str(m, 'model_id') ?? '',
      step: (int64(m.step) as number | undefined) ?? 0,
    }));
    await t.logOutputs(runIdOf(f), models);
    return {};
  });

  app.get('/metrics/get-history', async (req) => {
    const f = fieldsOf(req);
    const page = await t.getMetricHistory(runIdOf(f), str(f, 'metric_key'), {
      maxResults: int(f, 'max_results') ?? null,
      pageToken: str(f, 'page_token') ?? null,
    });
    return withToken(
      page.items.length > 0 ? { metrics: page.items.map((m) => metricJson(m)) } : {},
      page.nextPageToken,
    );
  });

  // The UI's charts (MLflow samples evenly; here the first `max_results` points in the step range).
  app.get('/metrics/get-history-bulk-interval', async (req) => {
    const f = fieldsOf(req);
    const key = str(f, 'metric_key');
    const start = int(f, 'start_step');
    const end = int(f, 'end_step');
    const max = int(f, 'max_results') ?? 320;
    const out: ReturnType<typeof metricJson>[] = [];
    for (const runId of list(f, 'run_ids')) {
      const page = await t.getMetricHistory(runId, key, {});
      const inRange = page.items.filter(
        (m) => (start === undefined || m.step >= start) && (end === undefined || m.step <= end),
      );
      for (const m of inRange.slice(0, max)) out.push(metricJson({ ...m, runId }, true));
    }
    return out.length > 0 ? { metrics: out } : {};
  });

  app.get('/artifacts/list', async (req) => {
    const f = fieldsOf(req);
    const { rootUri, files } = await t.listRunArtifacts(runIdOf(f), str(f, 'path') ?? null);
    return files.length > 0 ? { root_uri: rootUri, files: files.map(fileInfoJson) } : { root_uri: rootUri };
  });
}

const RUN_STATUS_NUMBERS: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};

function metricOf(m: Fields): Partial<MetricInput> {
  return {
    key: m.key as string,
    value: double(m.value) as number,
    timestamp: int64(m.timestamp) as number,
    step: (int64(m.step) as number | undefined) ?? 0,
    modelId: (m.model_id as string | undefined) ?? null,
    datasetName: (m.dataset_name as string | undefined) ?? null,
    datasetDigest: (m.dataset_digest as string | undefined) ?? null,
  };
}
