/** Logged models (MLflow 3): create, finalize, delete, tags, params, search, artifacts (Tracking). */

import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';
import {
  LOGGED_MODEL_STATUSES,
  type LoggedModelRecord,
  type LoggedModelStatus,
} from '../store/tracking-store.js';
import { joinPath, joinUri, proxiedArtifactPath, safeArtifactPath } from './artifact-uri.js';
import { activeExperiment } from './experiments.js';
import { decodePageToken, maxResults, type Page, pageOf } from './page-token.js';
import type { ArtifactFileInfo } from './run-artifacts.js';
import { randomRunName } from './run-names.js';
import { getRunInfo } from './runs.js';
import { LOGGED_MODEL_FILTER, parseFilter } from './search-filter.js';
import type { TrackingDeps } from './tracking-deps.js';
import { checkKey, checkLength, invalid, LIMITS, loggedModelNotFound, missing } from './validation.js';

export async function createLoggedModel(
  deps: TrackingDeps,
  opts: {
    experimentId: unknown;
    name?: string | null;
    modelType?: string | null;
    sourceRunId?: string | null;
    params?: Record<string, string>;
    tags?: Record<string, string>;
  },
): Promise<LoggedModelRecord> {
  if (typeof opts.experimentId !== 'string' || opts.experimentId === '') throw missing('experiment_id');
  const exp = await activeExperiment(deps, opts.experimentId);
  const name = opts.name || randomRunName();
  if (/[/:.%"']/.test(name)) {
    throw invalid(
      `Invalid model name ('${name}') provided. Model name must not contain any of the following characters: ['/', ':', '.', '%', '"', "'"]`,
    );
  }
  if (opts.sourceRunId) await getRunInfo(deps, opts.sourceRunId);
  const modelId = `m-${randomUUID().replace(/-/g, '')}`;
  await deps.store.createLoggedModel({
    modelId,
    experimentId: exp.experimentId,
    name,
    artifactUri: joinUri(exp.artifactLocation, 'models', modelId, 'artifacts'),
    status: 'LOGGED_MODEL_PENDING',
    createdAt: deps.clock.now(),
    modelType: opts.modelType || null,
    sourceRunId: opts.sourceRunId || null,
    creatorId: null,
    params: opts.params ?? {},
    tags: opts.tags ?? {},
  });
  return (await deps.store.getLoggedModel(modelId))!;
}

export async function getLoggedModel(deps: TrackingDeps, modelId: unknown): Promise<LoggedModelRecord> {
  if (typeof modelId !== 'string' || modelId === '') throw missing('model_id');
  const model = await deps.store.getLoggedModel(modelId);
  if (!model) throw loggedModelNotFound(modelId);
  return model;
}

export async function finalizeLoggedModel(
  deps: TrackingDeps,
  modelId: unknown,
  status: unknown,
): Promise<LoggedModelRecord> {
  const model = await getLoggedModel(deps, modelId);
  const s = loggedModelStatusOf(status);
  if (s !== 'LOGGED_MODEL_READY' && s !== 'LOGGED_MODEL_UPLOAD_FAILED') {
    throw invalid(
      `Invalid status '${String(status)}': expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED`,
    );
  }
  await deps.store.updateLoggedModel(model.modelId, { status: s });
  const updated = (await deps.store.getLoggedModel(model.modelId))!;
  await deps.hooks.loggedModelFinalized?.(updated);
  return updated;
}

export async function deleteLoggedModel(deps: TrackingDeps, modelId: unknown): Promise<void> {
  const model = await getLoggedModel(deps, modelId);
  await deps.store.updateLoggedModel(model.modelId, { lifecycleStage: 'deleted' });
}

export async function setLoggedModelTags(
  deps: TrackingDeps,
  modelId: unknown,
  tags: Record<string, string>,
): Promise<LoggedModelRecord> {
  const model = await getLoggedModel(deps, modelId);
  for (const [key, value] of Object.entries(tags)) {
    checkKey(key, 'key', 'Tag');
    checkLength('value', value, LIMITS.tagValue);
  }
  await deps.store.setLoggedModelTags(model.modelId, tags);
  return (await deps.store.getLoggedModel(model.modelId))!;
}

export async function deleteLoggedModelTag(
  deps: TrackingDeps,
  modelId: unknown,
  key: unknown,
): Promise<void> {
  if (typeof key !== 'string' || key === '') throw missing('tag_key');
  const model = await getLoggedModel(deps, modelId);
  if (!(key in model.tags)) {
    throw new SlipwayError(
      'TRACKING_LOGGED_MODEL_NOT_FOUND',
      `No tag with key '${key}' found for model with ID '${model.modelId}'.`,
    );
  }
  await deps.store.deleteLoggedModelTag(model.modelId, key);
}

export async function logLoggedModelParams(
  deps: TrackingDeps,
  modelId: unknown,
  params: Record<string, string>,
): Promise<void> {
  const model = await getLoggedModel(deps, modelId);
  for (const [key, value] of Object.entries(params)) {
    checkKey(key, 'key', 'Param');
    checkLength('Param value', value, LIMITS.paramValue);
  }
  await deps.store.logLoggedModelParams(model.modelId, params);
}

export async function searchLoggedModels(
  deps: TrackingDeps,
  opts: {
    experimentIds: string[];
    filter?: string | null;
    maxResults?: number | null;
    orderBy?: { fieldName: string; ascending?: boolean }[];
    pageToken?: string | null;
  },
): Promise<Page<LoggedModelRecord>> {
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
  const rows = await deps.store.searchLoggedModels({
    experimentIds: opts.experimentIds,
    clauses: parseFilter(opts.filter, LOGGED_MODEL_FILTER),
    orderBy,
    offset,
    limit: limit + 1,
  });
  return pageOf(rows, offset, limit);
}

export async function listLoggedModelArtifacts(
  deps: TrackingDeps,
  modelId: unknown,
  path?: string | null,
): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
  const model = await getLoggedModel(deps, modelId);
  const rel = path ? safeArtifactPath(path) : '';
  const root = proxiedArtifactPath(model.artifactUri);
  if (root === null) return { rootUri: model.artifactUri, files: [] };
  const files = await deps.artifacts.list(joinPath(root, rel));
  return { rootUri: model.artifactUri, files: files.map((f) => ({ ...f, name: joinPath(rel, f.name) })) };
}

function loggedModelStatusOf(status: unknown): LoggedModelStatus | undefined {
  if (typeof status === 'number') return LOGGED_MODEL_STATUSES[status];
  if (typeof status === 'string' && /^\d+$/.test(status)) return LOGGED_MODEL_STATUSES[Number(status)];
  return LOGGED_MODEL_STATUSES.find((s) => s === status);
}
