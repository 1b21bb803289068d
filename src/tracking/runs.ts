/** Runs: create, read, update, delete, restore, tag removal and artifact listing (Tracking). */

import { randomUUID } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';
import { RUN_STATUSES, type RunInfoRecord, type RunRecord, type RunStatus } from '../store/tracking-store.js';
import { joinPath, joinUri, proxiedArtifactPath, safeArtifactPath } from './artifact-uri.js';
import { getExperiment } from './experiments.js';
import type { ArtifactFileInfo } from './run-artifacts.js';
import { randomRunName } from './run-names.js';
import type { TrackingDeps } from './tracking-deps.js';
import {
  checkKey,
  checkRunId,
  invalid,
  LIMITS,
  missing,
  notActive,
  runNotFound,
  truncate,
} from './validation.js';

export async function createRun(
  deps: TrackingDeps,
  opts: {
    experimentId?: string | null;
    userId?: string | null;
    runName?: string | null;
    startTime?: number | null;
    tags?: Record<string, string>;
  },
): Promise<RunRecord> {
  const exp = await getExperiment(deps, opts.experimentId || '0');
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
  await deps.store.createRun({
    runId,
    experimentId: exp.experimentId,
    name,
    userId: opts.userId ?? '',
    startTime: opts.startTime ?? deps.clock.now(),
    artifactUri: joinUri(exp.artifactLocation, runId, 'artifacts'),
    tags,
  });
  return (await deps.store.getRun(runId))!;
}

export async function getRun(deps: TrackingDeps, runId: unknown): Promise<RunRecord> {
  checkRunId(runId);
  const run = await deps.store.getRun(runId);
  if (!run) throw runNotFound(runId);
  return run;
}

export async function getRunInfo(deps: TrackingDeps, runId: unknown): Promise<RunInfoRecord> {
  checkRunId(runId);
  const info = await deps.store.getRunInfo(runId);
  if (!info) throw runNotFound(runId);
  return info;
}

export async function updateRun(
  deps: TrackingDeps,
  runId: unknown,
  patch: { status?: string | null; endTime?: number | null; runName?: string | null },
): Promise<RunInfoRecord> {
  const info = await activeRun(deps, runId);
  let status: RunStatus | undefined;
  if (patch.status !== undefined && patch.status !== null && patch.status !== '') {
    status = RUN_STATUSES.find((s) => s === patch.status);
    if (!status)
      throw invalid(
        `Invalid value "${patch.status}" for parameter 'status': expected one of ${RUN_STATUSES.join(', ')}`,
      );
  }
  await deps.store.updateRun(info.runId, {
    ...(status ? { status } : {}),
    ...(patch.endTime !== undefined && patch.endTime !== null ? { endTime: patch.endTime } : {}),
    ...(patch.runName ? { name: patch.runName } : {}),
  });
  return (await deps.store.getRunInfo(info.runId))!;
}

export async function deleteRun(deps: TrackingDeps, runId: unknown): Promise<void> {
  const info = await getRunInfo(deps, runId);
  await deps.store.updateRun(info.runId, { lifecycleStage: 'deleted', deletedTime: deps.clock.now() });
}

export async function restoreRun(deps: TrackingDeps, runId: unknown): Promise<void> {
  const info = await getRunInfo(deps, runId);
  await deps.store.updateRun(info.runId, { lifecycleStage: 'active', deletedTime: null });
}

export async function deleteTag(deps: TrackingDeps, runId: unknown, key: unknown): Promise<void> {
  if (typeof key !== 'string' || key === '') throw missing('key');
  const info = await activeRun(deps, runId);
  const run = (await deps.store.getRun(info.runId))!;
  if (!(key in run.tags)) {
    throw new SlipwayError('TRACKING_RUN_NOT_FOUND', `No tag with name: ${key} in run with id ${info.runId}`);
  }
  await deps.store.deleteTag(info.runId, key);
}

export async function listRunArtifacts(
  deps: TrackingDeps,
  runId: unknown,
  path?: string | null,
): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
  const info = await getRunInfo(deps, runId);
  const rel = path ? safeArtifactPath(path) : '';
  const root = proxiedArtifactPath(info.artifactUri);
  if (root === null) return { rootUri: info.artifactUri, files: [] };
  const files = await deps.artifacts.list(joinPath(root, rel));
  return { rootUri: info.artifactUri, files: files.map((f) => ({ ...f, name: joinPath(rel, f.name) })) };
}

export async function activeRun(deps: TrackingDeps, runId: unknown): Promise<RunInfoRecord> {
  const info = await getRunInfo(deps, runId);
  if (info.lifecycleStage !== 'active') {
    throw notActive(
      `The run ${info.runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
    );
  }
  return info;
}
