import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type {
  DatasetInputRecord,
  ExperimentRecord,
  LifecycleStage,
  LoggedModelRecord,
  LoggedModelStatus,
  MetricRecord,
  RunInfoRecord,
  RunRecord,
  RunStatus,
  TrackingStore,
} from '../store/tracking-store.js';
import { LOGGED_MODEL_STATUSES, RUN_STATUSES } from '../store/tracking-store.js';
import { joinPath, joinUri, proxiedArtifactPath, safeArtifactPath } from './artifact-uri.js';
import { decodePageToken, type Page, pageOf } from './page-token.js';
import type { ArtifactFileInfo, RunArtifacts } from './run-artifacts.js';
import { randomRunName } from './run-names.js';
import { EXPERIMENT_FILTER, LOGGED_MODEL_FILTER, parseFilter, RUN_FILTER } from './search-filter.js';
import { parseOrderBy } from './search-order.js';
import {
  checkBatchLimits,
  checkExperimentName,
  checkKey,
  checkLength,
  checkMetricValue,
  checkRunId,
  invalid,
  LIMITS,
  missing,
} from './validation.js';

export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step?: number;
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string | null;
  viewType?: ViewType;
  maxResults?: number | null;
  orderBy?: string[];
  pageToken?: string | null;
}

/** Listeners the root wires: the registry bridge completes pending versions when a model is final. */
export interface TrackingHooks {
  loggedModelFinalized?: (model: LoggedModelRecord) => Promise<void>;
}

/**
 * Experiment tracking with MLflow's semantics: experiments, runs, metrics over steps, immutable
 * params, tags, dataset inputs, logged models (MLflow 3) and run artifacts. The MLflow REST
 * adapter and the CLI both call this class; it checks arguments once (MLflow's limits and
 * messages, see validation.ts) and leaves atomicity to the store.
 */
export class Tracking {
  readonly artifacts: RunArtifacts;
  readonly hooks: TrackingHooks = {};
  readonly #store: TrackingStore;
  readonly #clock: Clock;

  constructor(deps: { store: TrackingStore; artifacts: RunArtifacts; clock: Clock }) {
    this.#store = deps.store;
    this.artifacts = deps.artifacts;
    this.#clock = deps.clock;
  }

  // ------------------------------------------------------------ experiments

  async createExperiment(opts: {
    name: unknown;
    artifactLocation?: string | null;
    tags?: Record<string, string>;
  }): Promise<string> {
    checkExperimentName(opts.name);
    const location = opts.artifactLocation || null;
    if (location !== null) {
      if (/[#]/.test(location) || (/^[a-z][a-z0-9+.-]*:/i.test(location) && /[;]/.test(location))) {
        throw invalid("'artifact_location' URL can't include fragments or params.");
      }
      if (proxiedArtifactPath(location) === null && location.split('/').includes('..')) {
        throw invalid(`Invalid artifact_location '${location}': it must not contain '..'`);
      }
    }
    const tags = opts.tags ?? {};
    for (const [key, value] of Object.entries(tags)) {
      checkKey(key, 'key', 'Tag');
      checkLength('value', value, LIMITS.experimentTagValue);
    }
    return this.#store.createExperiment({
      name: opts.name,
      artifactLocation: location,
      tags,
      createdAt: this.#clock.now(),
    });
  }

  async getExperiment(id: unknown): Promise<ExperimentRecord> {
    if (typeof id !== 'string' || id === '') throw missing('experiment_id');
    const exp = await this.#store.getExperiment(id);
    if (!exp) throw experimentNotFound(id);
    return exp;
  }

  async getExperimentByName(name: unknown): Promise<ExperimentRecord> {
    if (typeof name !== 'string' || name === '') throw missing('experiment_name');
    const exp = await this.#store.getExperimentByName(name);
    if (!exp) {
      throw new SlipwayError(
        'TRACKING_EXPERIMENT_NOT_FOUND',
        `Could not find experiment with name '${name}'`,
      );
    }
    return exp;
  }

  async searchExperiments(opts: {
    viewType?: ViewType;
    maxResults?: number | null;
    filter?: string | null;
    orderBy?: string[];
    pageToken?: string | null;
  }): Promise<Page<ExperimentRecord>> {
    const limit = maxResults(opts.maxResults, 1000, LIMITS.maxExperimentsPerSearch);
    const offset = decodePageToken(opts.pageToken);
    const orderBy = parseOrderBy(
      opts.orderBy && opts.orderBy.length > 0 ? opts.orderBy : ['creation_time DESC', 'experiment_id ASC'],
      { ...EXPERIMENT_FILTER, attributes: { ...EXPERIMENT_FILTER.attributes, experiment_id: 'numeric' } },
    );
    for (const o of orderBy) {
      if (o.kind !== 'attribute') throw invalid(`Invalid order_by entity: ${o.kind}`);
    }
    const rows = await this.#store.searchExperiments({
      stages: stagesOf(opts.viewType),
      clauses: parseFilter(opts.filter, EXPERIMENT_FILTER),
      orderBy,
      offset,
      limit: limit + 1,
    });
    return pageOf(rows, offset, limit);
  }

  async renameExperiment(id: unknown, newName: unknown): Promise<void> {
    checkExperimentName(newName);
    const exp = await this.getExperiment(id);
    if (exp.lifecycleStage !== 'active') throw notActive('Cannot rename a non-active experiment.');
    await this.#store.updateExperiment(exp.experimentId, { name: newName });
  }

  async deleteExperiment(id: unknown): Promise<void> {
    const exp = await this.getExperiment(id);
    if (exp.lifecycleStage !== 'active') throw experimentNotFound(exp.experimentId);
    await this.#store.updateExperiment(exp.experimentId, { lifecycleStage: 'deleted' });
  }

  async restoreExperiment(id: unknown): Promise<void> {
    const exp = await this.getExperiment(id);
    if (exp.lifecycleStage !== 'deleted') {
      throw notActive(`Cannot restore an active experiment. Experiment ID: ${exp.experimentId}`);
    }
    await this.#store.updateExperiment(exp.experimentId, { lifecycleStage: 'active' });
  }

  async setExperimentTag(id: unknown, key: unknown, value: unknown): Promise<void> {
    checkKey(key, 'key', 'Tag');
    const v = stringValue(value, 'value');
    checkLength('value', v, LIMITS.experimentTagValue);
    const exp = await this.#activeExperiment(id);
    await this.#store.setExperimentTag(exp.experimentId, key, v);
  }

  async deleteExperimentTag(id: unknown, key: unknown): Promise<void> {
    if (typeof key !== 'string' || key === '') throw missing('key');
    const exp = await this.#activeExperiment(id);
    await this.#store.deleteExperimentTag(exp.experimentId, key);
  }

  // ------------------------------------------------------------ runs

  async createRun(opts: {
    experimentId?: string | null;
    userId?: string | null;
    runName?: string | null;
    startTime?: number | null;
    tags?: Record<string, string>;
  }): Promise<RunRecord> {
    const exp = await this.getExperiment(opts.experimentId || '0');
    if (exp.lifecycleStage !== 'active') {
      throw notActive(
        `The experiment ${exp.experimentId} must be in the 'active' state. Current state is ${exp.lifecycleStage}.`,
      );
    }
    const tags = { ...(opts.tags ?? {}) };
    for (const [key, value] of Object.entries(tags)) {
      checkKey(key, 'key', 'Tag');
      tags[key] = truncate(value, LIMITS.tagValue);
    }
    const tagName = tags['mlflow.runName'];
    if (opts.runName && tagName && opts.runName !== tagName) {
      throw invalid(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values " +
          `(run_name='${opts.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const name = opts.runName || tagName || randomRunName();
    tags['mlflow.runName'] = name;
    const runId = randomUUID().replace(/-/g, '');
    await this.#store.createRun({
      runId,
      experimentId: exp.experimentId,
      name,
      userId: opts.userId ?? '',
      startTime: opts.startTime ?? this.#clock.now(),
      artifactUri: joinUri(exp.artifactLocation, runId, 'artifacts'),
      tags,
    });
    return (await this.#store.getRun(runId))!;
  }

  async getRun(runId: unknown): Promise<RunRecord> {
    checkRunId(runId);
    const run = await this.#store.getRun(runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  async getRunInfo(runId: unknown): Promise<RunInfoRecord> {
    checkRunId(runId);
    const info = await this.#store.getRunInfo(runId);
    if (!info) throw runNotFound(runId);
    return info;
  }

  async updateRun(
    runId: unknown,
    patch: { status?: string | null; endTime?: number | null; runName?: string | null },
  ): Promise<RunInfoRecord> {
    const info = await this.#activeRun(runId);
    let status: RunStatus | undefined;
    if (patch.status !== undefined && patch.status !== null && patch.status !== '') {
      status = RUN_STATUSES.find((s) => s === patch.status);
      if (!status)
        throw invalid(
          `Invalid value "${patch.status}" for parameter 'status': expected one of ${RUN_STATUSES.join(', ')}`,
        );
    }
    await this.#store.updateRun(info.runId, {
      ...(status ? { status } : {}),
      ...(patch.endTime !== undefined && patch.endTime !== null ? { endTime: patch.endTime } : {}),
      ...(patch.runName ? { name: patch.runName } : {}),
    });
    return (await this.#store.getRunInfo(info.runId))!;
  }

  async deleteRun(runId: unknown): Promise<void> {
    const info = await this.getRunInfo(runId);
    await this.#store.updateRun(info.runId, { lifecycleStage: 'deleted', deletedTime: this.#clock.now() });
  }

  async restoreRun(runId: unknown): Promise<void> {
    const info = await this.getRunInfo(runId);
    await this.#store.updateRun(info.runId, { lifecycleStage: 'active', deletedTime: null });
  }

  /** MLflow's search_runs, done by the database: see TrackingStore's contract. */
  async searchRuns(opts: SearchRunsOptions): Promise<Page<RunRecord>> {
    const limit = maxResults(opts.maxResults, 1000, LIMITS.maxRunsPerSearch);
    const offset = decodePageToken(opts.pageToken);
    const clauses = parseFilter(opts.filter, RUN_FILTER);
    const orderBy = parseOrderBy(opts.orderBy, RUN_FILTER);
    const rows = await this.#store.searchRuns({
      experimentIds: opts.experimentIds,
      stages: stagesOf(opts.viewType),
      clauses,
      orderBy,
      offset,
      limit: limit + 1,
    });
    return pageOf(rows, offset, limit);
  }

  async logMetric(runId: unknown, metric: Partial<MetricInput>): Promise<void> {
    await this.logBatch(runId, { metrics: [metric] }, '');
  }

  async logParam(runId: unknown, key: unknown, value: unknown): Promise<void> {
    try {
      await this.logBatch(runId, { params: [{ key, value }] }, '');
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

  async setTag(runId: unknown, key: unknown, value: unknown): Promise<void> {
    await this.logBatch(runId, { tags: [{ key, value }] }, '');
  }

  async deleteTag(runId: unknown, key: unknown): Promise<void> {
    if (typeof key !== 'string' || key === '') throw missing('key');
    const info = await this.#activeRun(runId);
    const run = (await this.#store.getRun(info.runId))!;
    if (!(key in run.tags)) {
      throw new SlipwayError(
        'TRACKING_RUN_NOT_FOUND',
        `No tag with name: ${key} in run with id ${info.runId}`,
      );
    }
    await this.#store.deleteTag(info.runId, key);
  }

  /**
   * log-batch: at most 1,000 metrics, 100 params, 100 tags and 1,000 entities in all, written in
   * one transaction. `path` prefixes entity paths in messages (`metrics[3].value`) as MLflow does.
   */
  async logBatch(
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
    const info = await this.#activeRun(runId);
    await this.#store.logBatch(info.runId, {
      metrics: cleanMetrics,
      params: cleanParams,
      tags: cleanTags,
      experimentId: info.experimentId,
    });
  }

  async getMetricHistory(
    runId: unknown,
    key: unknown,
    opts: { maxResults?: number | null; pageToken?: string | null } = {},
  ): Promise<Page<MetricRecord>> {
    if (typeof key !== 'string' || key === '') throw missing('metric_key');
    const info = await this.getRunInfo(runId);
    const offset = decodePageToken(opts.pageToken);
    const limit =
      opts.maxResults && opts.maxResults > 0 ? opts.maxResults : Number.MAX_SAFE_INTEGER - offset - 1;
    const rows = await this.#store.metricHistory(info.runId, key, { offset, limit: limit + 1 });
    return pageOf(rows, offset, limit);
  }

  async logInputs(
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
    const info = await this.#activeRun(runId);
    await this.#store.logInputs(info.runId, info.experimentId, datasets, opts.modelIds ?? []);
  }

  async logOutputs(runId: unknown, models: { modelId: string; step?: number }[]): Promise<void> {
    const info = await this.#activeRun(runId);
    for (const m of models) await this.getLoggedModel(m.modelId);
    await this.#store.logOutputs(
      info.runId,
      models.map((m) => ({ modelId: m.modelId, step: m.step ?? 0 })),
    );
  }

  /** MLflow 2.x `runs/log-model`: appends the model's JSON to the run's `mlflow.log-model.history` tag. */
  async recordLoggedModel(runId: unknown, modelJson: unknown): Promise<void> {
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
    const info = await this.#activeRun(runId);
    const run = (await this.#store.getRun(info.runId))!;
    const history = JSON.parse(run.tags['mlflow.log-model.history'] ?? '[]') as unknown[];
    history.push(model);
    await this.#store.logBatch(info.runId, {
      metrics: [],
      params: {},
      tags: { 'mlflow.log-model.history': JSON.stringify(history) },
      experimentId: info.experimentId,
    });
  }

  /** The artifacts of a run below `path`, with paths relative to the run's root (MLflow's list). */
  async listRunArtifacts(
    runId: unknown,
    path?: string | null,
  ): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
    const info = await this.getRunInfo(runId);
    const rel = path ? safeArtifactPath(path) : '';
    const root = proxiedArtifactPath(info.artifactUri);
    if (root === null) return { rootUri: info.artifactUri, files: [] };
    const files = await this.artifacts.list(joinPath(root, rel));
    return { rootUri: info.artifactUri, files: files.map((f) => ({ ...f, name: joinPath(rel, f.name) })) };
  }

  // ------------------------------------------------------------ logged models (MLflow 3)

  async createLoggedModel(opts: {
    experimentId: unknown;
    name?: string | null;
    modelType?: string | null;
    sourceRunId?: string | null;
    params?: Record<string, string>;
    tags?: Record<string, string>;
  }): Promise<LoggedModelRecord> {
    if (typeof opts.experimentId !== 'string' || opts.experimentId === '') throw missing('experiment_id');
    const exp = await this.#activeExperiment(opts.experimentId);
    const name = opts.name || randomRunName();
    if (/[/:.%"']/.test(name)) {
      throw invalid(
        `Invalid model name ('${name}') provided. Model name must not contain any of the following characters: ['/', ':', '.', '%', '"', "'"]`,
      );
    }
    if (opts.sourceRunId) await this.getRunInfo(opts.sourceRunId);
    const modelId = `m-${randomUUID().replace(/-/g, '')}`;
    await this.#store.createLoggedModel({
      modelId,
      experimentId: exp.experimentId,
      name,
      artifactUri: joinUri(exp.artifactLocation, 'models', modelId, 'artifacts'),
      status: 'LOGGED_MODEL_PENDING',
      createdAt: this.#clock.now(),
      modelType: opts.modelType || null,
      sourceRunId: opts.sourceRunId || null,
      creatorId: null,
      params: opts.params ?? {},
      tags: opts.tags ?? {},
    });
    return (await this.#store.getLoggedModel(modelId))!;
  }

  async getLoggedModel(modelId: unknown): Promise<LoggedModelRecord> {
    if (typeof modelId !== 'string' || modelId === '') throw missing('model_id');
    const model = await this.#store.getLoggedModel(modelId);
    if (!model) throw loggedModelNotFound(modelId);
    return model;
  }

  async finalizeLoggedModel(modelId: unknown, status: unknown): Promise<LoggedModelRecord> {
    const model = await this.getLoggedModel(modelId);
    const s = loggedModelStatusOf(status);
    if (s !== 'LOGGED_MODEL_READY' && s !== 'LOGGED_MODEL_UPLOAD_FAILED') {
      throw invalid(
        `Invalid status '${String(status)}': expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED`,
      );
    }
    await this.#store.updateLoggedModel(model.modelId, { status: s });
    const updated = (await this.#store.getLoggedModel(model.modelId))!;
    await this.hooks.loggedModelFinalized?.(updated);
    return updated;
  }

  async deleteLoggedModel(modelId: unknown): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    await this.#store.updateLoggedModel(model.modelId, { lifecycleStage: 'deleted' });
  }

  async setLoggedModelTags(modelId: unknown, tags: Record<string, string>): Promise<LoggedModelRecord> {
    const model = await this.getLoggedModel(modelId);
    for (const [key, value] of Object.entries(tags)) {
      checkKey(key, 'key', 'Tag');
      checkLength('value', value, LIMITS.tagValue);
    }
    await this.#store.setLoggedModelTags(model.modelId, tags);
    return (await this.#store.getLoggedModel(model.modelId))!;
  }

  async deleteLoggedModelTag(modelId: unknown, key: unknown): Promise<void> {
    if (typeof key !== 'string' || key === '') throw missing('tag_key');
    const model = await this.getLoggedModel(modelId);
    if (!(key in model.tags)) {
      throw new SlipwayError(
        'TRACKING_LOGGED_MODEL_NOT_FOUND',
        `No tag with key '${key}' found for model with ID '${model.modelId}'.`,
      );
    }
    await this.#store.deleteLoggedModelTag(model.modelId, key);
  }

  async logLoggedModelParams(modelId: unknown, params: Record<string, string>): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    for (const [key, value] of Object.entries(params)) {
      checkKey(key, 'key', 'Param');
      checkLength('Param value', value, LIMITS.paramValue);
    }
    await this.#store.logLoggedModelParams(model.modelId, params);
  }

  async searchLoggedModels(opts: {
    experimentIds: string[];
    filter?: string | null;
    maxResults?: number | null;
    orderBy?: { fieldName: string; ascending?: boolean }[];
    pageToken?: string | null;
  }): Promise<Page<LoggedModelRecord>> {
    if (opts.experimentIds.length === 0) throw missing('experiment_ids');
    const limit = maxResults(opts.maxResults, 50, LIMITS.maxRunsPerSearch);
    const offset = decodePageToken(opts.pageToken);
    const orderBy = (opts.orderBy ?? []).map((o) => {
      const dot = o.fieldName.indexOf('.');
      const entity = dot > 0 ? o.fieldName.slice(0, dot) : '';
      if (entity === 'metrics' || entity === 'metric') {
        return { kind: 'metric' as const, key: o.fieldName.slice(dot + 1), ascending: o.ascending ?? true };
      }
      const key = o.fieldName.replace(/^attributes?\./, '');
      if (!(key in LOGGED_MODEL_FILTER.attributes)) {
        throw invalid(`Invalid order by field name: ${o.fieldName}`);
      }
      return { kind: 'attribute' as const, key, ascending: o.ascending ?? true };
    });
    const rows = await this.#store.searchLoggedModels({
      experimentIds: opts.experimentIds,
      clauses: parseFilter(opts.filter, LOGGED_MODEL_FILTER),
      orderBy,
      offset,
      limit: limit + 1,
    });
    return pageOf(rows, offset, limit);
  }

  async listLoggedModelArtifacts(
    modelId: unknown,
    path?: string | null,
  ): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
    const model = await this.getLoggedModel(modelId);
    const rel = path ? safeArtifactPath(path) : '';
    const root = proxiedArtifactPath(model.artifactUri);
    if (root === null) return { rootUri: model.artifactUri, files: [] };
    const files = await this.artifacts.list(joinPath(root, rel));
    return { rootUri: model.artifactUri, files: files.map((f) => ({ ...f, name: joinPath(rel, f.name) })) };
  }

  // ------------------------------------------------------------ helpers

  async #activeRun(runId: unknown): Promise<RunInfoRecord> {
    const info = await this.getRunInfo(runId);
    if (info.lifecycleStage !== 'active') {
      throw notActive(
        `The run ${info.runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
      );
    }
    return info;
  }

  async #activeExperiment(id: unknown): Promise<ExperimentRecord> {
    const exp = await this.getExperiment(id);
    if (exp.lifecycleStage !== 'active') {
      throw notActive(
        `The experiment ${exp.experimentId} must be in the 'active' state. Current state is ${exp.lifecycleStage}.`,
      );
    }
    return exp;
  }
}

export function stagesOf(viewType: ViewType | undefined): LifecycleStage[] {
  if (viewType === 'DELETED_ONLY') return ['deleted'];
  if (viewType === 'ALL') return ['active', 'deleted'];
  return ['active'];
}

function maxResults(given: number | null | undefined, fallback: number, cap: number): number {
  if (given === null || given === undefined || given === 0) return fallback;
  if (!Number.isSafeInteger(given) || given < 1) {
    throw invalid(
      `Invalid value ${given} for parameter 'max_results' supplied. It must be a positive integer.`,
    );
  }
  if (given > cap) {
    throw invalid(
      `Invalid value ${given} for parameter 'max_results' supplied. It must be at most ${cap}, but got value ${given}`,
    );
  }
  return given;
}

function loggedModelStatusOf(status: unknown): LoggedModelStatus | undefined {
  if (typeof status === 'number') return LOGGED_MODEL_STATUSES[status];
  if (typeof status === 'string' && /^\d+$/.test(status)) return LOGGED_MODEL_STATUSES[Number(status)];
  return LOGGED_MODEL_STATUSES.find((s) => s === status);
}

function stringValue(value: unknown, path: string): string {
  if (value === undefined || value === null) throw missing(path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: expected a string`);
}

/** MLflow 3 truncates over-long param and tag values (MLFLOW_TRUNCATE_LONG_VALUES, default on). */
function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

function notActive(message: string): SlipwayError {
  return new SlipwayError('TRACKING_NOT_ACTIVE', message);
}

function experimentNotFound(id: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_NOT_FOUND', `No Experiment with id=${id} exists`);
}

function runNotFound(runId: string): SlipwayError {
  return new SlipwayError('TRACKING_RUN_NOT_FOUND', `Run with id=${runId} not found`);
}

function loggedModelNotFound(modelId: string): SlipwayError {
  return new SlipwayError('TRACKING_LOGGED_MODEL_NOT_FOUND', `Logged model with ID '${modelId}' not found.`);
}
