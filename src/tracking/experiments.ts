/** Experiments: create, find, search, rename, delete, restore, tags (Tracking). */

import { SlipwayError } from '../core/errors.js';
import type { ExperimentRecord } from '../store/tracking-store.js';
import { proxiedArtifactPath } from './artifact-uri.js';
import { decodePageToken, maxResults, type Page, pageOf } from './page-token.js';
import { EXPERIMENT_FILTER, parseFilter } from './search-filter.js';
import { parseOrderBy } from './search-order.js';
import type { TrackingDeps } from './tracking-deps.js';
import {
  checkExperimentName,
  checkKey,
  checkLength,
  experimentNotFound,
  invalid,
  LIMITS,
  missing,
  notActive,
  stringValue,
} from './validation.js';
import { stagesOf, type ViewType } from './view-type.js';

export async function createExperiment(
  deps: TrackingDeps,
  opts: {
    name: unknown;
    artifactLocation?: string | null;
    tags?: Record<string, string>;
  },
): Promise<string> {
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
  return deps.store.createExperiment({
    name: opts.name,
    artifactLocation: location,
    tags,
    createdAt: deps.clock.now(),
  });
}

export async function getExperiment(deps: TrackingDeps, id: unknown): Promise<ExperimentRecord> {
  if (typeof id !== 'string' || id === '') throw missing('experiment_id');
  const exp = await deps.store.getExperiment(id);
  if (!exp) throw experimentNotFound(id);
  return exp;
}

export async function getExperimentByName(deps: TrackingDeps, name: unknown): Promise<ExperimentRecord> {
  if (typeof name !== 'string' || name === '') throw missing('experiment_name');
  const exp = await deps.store.getExperimentByName(name);
  if (!exp) {
    throw new SlipwayError('TRACKING_EXPERIMENT_NOT_FOUND', `Could not find experiment with name '${name}'`);
  }
  return exp;
}

export async function searchExperiments(
  deps: TrackingDeps,
  opts: {
    viewType?: ViewType;
    maxResults?: number | null;
    filter?: string | null;
    orderBy?: string[];
    pageToken?: string | null;
  },
): Promise<Page<ExperimentRecord>> {
  const limit = maxResults(opts.maxResults, 1000, LIMITS.maxExperimentsPerSearch);
  const offset = decodePageToken(opts.pageToken);
  const orderBy = parseOrderBy(
    opts.orderBy && opts.orderBy.length > 0 ? opts.orderBy : ['creation_time DESC', 'experiment_id ASC'],
    { ...EXPERIMENT_FILTER, attributes: { ...EXPERIMENT_FILTER.attributes, experiment_id: 'numeric' } },
  );
  for (const o of orderBy) {
    if (o.kind !== 'attribute') throw invalid(`Invalid order_by entity: ${o.kind}`);
  }
  const rows = await deps.store.searchExperiments({
    stages: stagesOf(opts.viewType),
    clauses: parseFilter(opts.filter, EXPERIMENT_FILTER),
    orderBy,
    offset,
    limit: limit + 1,
  });
  return pageOf(rows, offset, limit);
}

export async function renameExperiment(deps: TrackingDeps, id: unknown, newName: unknown): Promise<void> {
  checkExperimentName(newName);
  const exp = await getExperiment(deps, id);
  if (exp.lifecycleStage !== 'active') throw notActive('Cannot rename a non-active experiment.');
  await deps.store.updateExperiment(exp.experimentId, { name: newName });
}

export async function deleteExperiment(deps: TrackingDeps, id: unknown): Promise<void> {
  const exp = await getExperiment(deps, id);
  if (exp.lifecycleStage !== 'active') throw experimentNotFound(exp.experimentId);
  await deps.store.updateExperiment(exp.experimentId, { lifecycleStage: 'deleted' });
}

export async function restoreExperiment(deps: TrackingDeps, id: unknown): Promise<void> {
  const exp = await getExperiment(deps, id);
  if (exp.lifecycleStage !== 'deleted') {
    throw notActive(`Cannot restore an active experiment. Experiment ID: ${exp.experimentId}`);
  }
  await deps.store.updateExperiment(exp.experimentId, { lifecycleStage: 'active' });
}

export async function setExperimentTag(
  deps: TrackingDeps,
  id: unknown,
  key: unknown,
  value: unknown,
): Promise<void> {
  checkKey(key, 'key', 'Tag');
  const v = stringValue(value, 'value');
  checkLength('value', v, LIMITS.experimentTagValue);
  const exp = await activeExperiment(deps, id);
  await deps.store.setExperimentTag(exp.experimentId, key, v);
}

export async function deleteExperimentTag(deps: TrackingDeps, id: unknown, key: unknown): Promise<void> {
  if (typeof key !== 'string' || key === '') throw missing('key');
  const exp = await activeExperiment(deps, id);
  await deps.store.deleteExperimentTag(exp.experimentId, key);
}

export async function activeExperiment(deps: TrackingDeps, id: unknown): Promise<ExperimentRecord> {
  const exp = await getExperiment(deps, id);
  if (exp.lifecycleStage !== 'active') {
    throw notActive(
      `The experiment ${exp.experimentId} must be in the 'active' state. Current state is ${exp.lifecycleStage}.`,
    );
  }
  return exp;
}
