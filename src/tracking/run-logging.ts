/** What is logged to a run: metrics, params, tags (log-batch), inputs, outputs, 2.x logged models. */

import { SlipwayError } from '../core/errors.js';
import type { DatasetInputRecord, MetricRecord } from '../store/tracking-store.js';
import { getLoggedModel } from './logged-models.js';
import { decodePageToken, type Page, pageOf } from './page-token.js';
import { activeRun, getRunInfo } from './runs.js';
import type { TrackingDeps } from './tracking-deps.js';
import {
  checkBatchLimits,
  checkKey,
  checkLength,
  checkMetricValue,
  invalid,
  LIMITS,
  missing,
  stringValue,
  truncate,
} from './validation.js';

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step?: number;
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export async function logMetric(
  deps: TrackingDeps,
  runId: unknown,
  metric: Partial<MetricInput>,
): Promise<void> {
  await logBatch(deps, runId, { metrics: [metric] }, '');
}

export async function logParam(
  deps: TrackingDeps,
  runId: unknown,
  key: unknown,
  value: unknown,
): Promise<void> {
  try {
    await logBatch(deps, runId, { params: [{ key, value }] }, '');
  } catch (err) {
    const conflicts = (err as SlipwayError).details?.conflicts as
      | { key: string; oldValue: string; newValue: string }[]
      | undefined;
    if (err instanceof SlipwayError && err.code === 'TRACKING_PARAM_CHANGED' && conflicts?.length) {
      const c = conflicts[0];
      // log_param's own text (sqlalchemy_store.log_param), not log_batch's.
      throw new SlipwayError(
        'TRACKING_PARAM_CHANGED',
        `Changing param values is not allowed. Param with key='${c.key}' was already logged with ` +
          `value='${c.oldValue}' for run ID='${String(runId)}'. Attempted logging new value '${c.newValue}'.`,
        { conflicts },
      );
    }
    throw err;
  }
}

export async function setTag(
  deps: TrackingDeps,
  runId: unknown,
  key: unknown,
  value: unknown,
): Promise<void> {
  await logBatch(deps, runId, { tags: [{ key, value }] }, '');
}

export async function logBatch(
  deps: TrackingDeps,
  runId: unknown,
  batch: {
    metrics?: Partial<MetricInput>[];
    params?: { key: unknown; value: unknown }[];
    tags?: { key: unknown; value: unknown }[];
  },
  path = 'batch',
): Promise<void> {
  const metrics = batch.metrics ?? [];
  const params = batch.params ?? [];
  const tags = batch.tags ?? [];
  const single = path === '';
  const at = (name: string, i: number) => (single ? '' : `${name}[${i}].`);
  // A batch repeats a few keys many times: check each key once, and build the message paths
  // only when something is wrong (this loop is on the log-batch hot path).
  const goodKeys = new Set<string>();
  const cleanMetrics: MetricRecord[] = metrics.map((m, i) => {
    if (typeof m.key !== 'string' || !goodKeys.has(m.key)) {
      checkKey(m.key, `${at('metrics', i)}${single ? 'key' : 'name'}`, 'Metric name');
      goodKeys.add(m.key);
    }
    const step = m.step ?? 0;
    if (
      typeof m.value !== 'number' ||
      typeof m.timestamp !== 'number' ||
      !(m.timestamp >= 0) ||
      !Number.isFinite(m.timestamp) ||
      !Number.isFinite(step)
    ) {
      checkMetricValue(m.key, m.value, m.timestamp, step, at('metrics', i));
    }
    return {
      key: m.key,
      value: m.value as number,
      timestamp: m.timestamp as number,
      step: m.step ?? 0,
      modelId: m.modelId || null,
      datasetName: m.datasetName || null,
      datasetDigest: m.datasetDigest || null,
    };
  });
  const cleanParams: Record<string, string> = {};
  const dupes: string[] = [];
  params.forEach((p, i) => {
    checkKey(p.key, `${at('params', i)}key`, 'Param');
    const value = truncate(stringValue(p.value, `${at('params', i)}value`), LIMITS.paramValue);
    if (p.key in cleanParams) dupes.push(p.key);
    cleanParams[p.key] = value;
  });
  if (dupes.length > 0) {
    throw invalid(
      `Duplicate parameter keys have been submitted: [${dupes.map((d) => `'${d}'`).join(', ')}]. Please ensure ` +
        'the request contains only one param value per param key.',
    );
  }
  const cleanTags: Record<string, string> = {};
  tags.forEach((t, i) => {
    checkKey(t.key, `${at('tags', i)}key`, 'Tag');
    cleanTags[t.key] = truncate(stringValue(t.value, `${at('tags', i)}value`), LIMITS.tagValue);
  });
  checkBatchLimits(
    cleanMetrics.length,
    Object.keys(cleanParams).length + dupes.length,
    Object.keys(cleanTags).length,
  );
  const info = await activeRun(deps, runId);
  await deps.store.logBatch(info.runId, {
    metrics: cleanMetrics,
    params: cleanParams,
    tags: cleanTags,
    experimentId: info.experimentId,
  });
}

export async function getMetricHistory(
  deps: TrackingDeps,
  runId: unknown,
  key: unknown,
  opts: { maxResults?: number | null; pageToken?: string | null } = {},
): Promise<Page<MetricRecord>> {
  if (typeof key !== 'string' || key === '') throw missing('metric_key');
  const info = await getRunInfo(deps, runId);
  const offset = decodePageToken(opts.pageToken);
  const limit =
    opts.maxResults && opts.maxResults > 0 ? opts.maxResults : Number.MAX_SAFE_INTEGER - offset - 1;
  const rows = await deps.store.metricHistory(info.runId, key, { offset, limit: limit + 1 });
  return pageOf(rows, offset, limit);
}

export async function logInputs(
  deps: TrackingDeps,
  runId: unknown,
  opts: { datasets?: DatasetInputRecord[]; modelIds?: string[] },
): Promise<void> {
  const datasets = opts.datasets ?? [];
  if (datasets.length > LIMITS.entitiesPerBatch) {
    throw invalid(
      `A batch logging request can contain at most ${LIMITS.entitiesPerBatch} datasets. Got ${datasets.length} datasets.`,
    );
  }
  for (const d of datasets) {
    const ds = d.dataset;
    if (!ds || typeof ds.name !== 'string' || ds.name === '') throw missing('datasets.dataset.name');
    if (typeof ds.digest !== 'string' || ds.digest === '') throw missing('datasets.dataset.digest');
    if (typeof ds.sourceType !== 'string' || ds.sourceType === '')
      throw missing('datasets.dataset.source_type');
    if (typeof ds.source !== 'string' || ds.source === '') throw missing('datasets.dataset.source');
    checkLength('name', ds.name, LIMITS.datasetName);
    checkLength('digest', ds.digest, LIMITS.datasetDigest);
    checkLength('source', ds.source, LIMITS.datasetSource);
    if (ds.schema) checkLength('schema', ds.schema, LIMITS.datasetSchema);
    if (ds.profile) checkLength('profile', ds.profile, LIMITS.datasetProfile);
    for (const [key, value] of Object.entries(d.tags)) {
      if (key === '') throw missing('datasets.tags.key');
      checkLength('key', key, LIMITS.inputTagKey);
      checkLength('value', value, LIMITS.inputTagValue);
    }
  }
  const info = await activeRun(deps, runId);
  await deps.store.logInputs(info.runId, info.experimentId, datasets, opts.modelIds ?? []);
}

export async function logOutputs(
  deps: TrackingDeps,
  runId: unknown,
  models: { modelId: string; step?: number }[],
): Promise<void> {
  const info = await activeRun(deps, runId);
  for (const m of models) await getLoggedModel(deps, m.modelId);
  await deps.store.logOutputs(
    info.runId,
    models.map((m) => ({ modelId: m.modelId, step: m.step ?? 0 })),
  );
}

export async function recordLoggedModel(
  deps: TrackingDeps,
  runId: unknown,
  modelJson: unknown,
): Promise<void> {
  if (typeof modelJson !== 'string' || modelJson === '') throw missing('model_json');
  let model: Record<string, unknown>;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalid(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
  }
  const required = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'];
  const absent = required.filter((k) => !(k in (model ?? {})));
  if (absent.length > 0) {
    throw invalid(`Model json is missing mandatory fields: {${absent.map((k) => `'${k}'`).join(', ')}}`);
  }
  const info = await activeRun(deps, runId);
  const run = (await deps.store.getRun(info.runId))!;
  const history = JSON.parse(run.tags['mlflow.log-model.history'] ?? '[]') as unknown[];
  history.push(model);
  await deps.store.logBatch(info.runId, {
    metrics: [],
    params: {},
    tags: { 'mlflow.log-model.history': JSON.stringify(history) },
    experimentId: info.experimentId,
  });
}
