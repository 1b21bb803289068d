import { SlipwayError } from '../core/errors.js';

/**
 * MLflow's limits and name rules (mlflow/utils/validation.py), with its messages, so a client that
 * worked against `mlflow server` fails the same way here. Checked once, above the store.
 */
export const LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  batchRequestBytes: 1_000_000,
  paramValue: 6000,
  tagValue: 8000,
  experimentName: 500,
  experimentTagValue: 5000,
  entityKey: 250,
  registryTagValue: 100_000,
  datasetName: 500,
  datasetDigest: 36,
  datasetSource: 65_535,
  datasetSchema: 1_048_575,
  datasetProfile: 16_777_215,
  inputTagKey: 255,
  inputTagValue: 500,
  maxRunsPerSearch: 50_000,
  maxExperimentsPerSearch: 50_000,
} as const;

const NAME_CHARS = /^[/\w.\- :]*$/u;

export function invalid(message: string): SlipwayError {
  return new SlipwayError('TRACKING_INVALID_PARAMETER', message);
}

/** `Missing value for required parameter 'x'.` (validation.missing_value) */
export function missing(path: string): SlipwayError {
  return invalid(
    `Missing value for required parameter '${path}'. See the API docs for more information about request parameters.`,
  );
}

function invalidValue(path: string, value: unknown, message?: string): string {
  const shown = JSON.stringify(value ?? null);
  return message
    ? `Invalid value ${shown} for parameter '${path}' supplied: ${message}`
    : `Invalid value ${shown} for parameter '${path}' supplied.`;
}

const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

/** Param, metric and tag keys: MLflow's characters, and no path tricks (`a/../b`, `/x`, `.`). */
export function checkKey(key: unknown, path: string, what: string): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw invalid(invalidValue(path, key ?? '', 'A key name must be provided.'));
  }
  if (!NAME_CHARS.test(key)) throw invalid(invalidValue(path, key, BAD_CHARACTERS));
  const norm = normalizePosix(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalid(
      invalidValue(
        path,
        key,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
      ),
    );
  }
  checkLength(`${what} key`, key, LIMITS.entityKey);
}

export function checkLength(what: string, value: string, limit: number): void {
  if (value.length > limit) throw invalid(`'${what}' exceeds the maximum length of ${limit} characters`);
}

export function checkBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (name: string, limit: number, length: number) => {
    if (length > limit) {
      throw invalid(
        `A batch logging request can contain at most ${limit} ${name}. Got ${length} ${name}. ` +
          `Please split up ${name} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', LIMITS.metricsPerBatch, metrics);
  check('params', LIMITS.paramsPerBatch, params);
  check('tags', LIMITS.tagsPerBatch, tags);
  check('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics + params + tags);
}

export function checkExperimentName(name: unknown): asserts name is string {
  if (name === '' || name === undefined || name === null)
    throw invalid(`Invalid experiment name: '${name ?? ''}'`);
  if (typeof name !== 'string') throw invalid(`Invalid experiment name: ${String(name)}. Expects a string.`);
  checkLength('name', name, LIMITS.experimentName);
}

/** A run id as MLflow accepts it (`_RUN_ID_REGEX`); ours are 32 lowercase hex digits. */
export function checkRunId(runId: unknown, path = 'run_id'): asserts runId is string {
  if (typeof runId !== 'string' || runId === '') throw missing(path);
  if (!/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId)) throw invalid(invalidValue(path, runId));
}

export function checkMetricValue(
  key: string,
  value: unknown,
  timestamp: unknown,
  step: unknown,
  path: string,
): void {
  if (value === undefined || value === null) throw missing(`${path}value`);
  if (typeof value !== 'number') {
    throw invalid(
      invalidValue(
        `${path}value`,
        value,
        `(timestamp=${timestamp}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    throw invalid(
      invalidValue(
        `${path}timestamp`,
        timestamp,
        `metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    );
  }
  if (typeof step !== 'number' || !Number.isFinite(step)) {
    throw invalid(
      invalidValue(
        `${path}step`,
        step,
        `metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
      ),
    );
  }
}

function normalizePosix(p: string): string {
  const absolute = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(part);
  }
  const joined = out.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

export function stringValue(value: unknown, path: string): string {
  if (value === undefined || value === null) throw missing(path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: expected a string`);
}

/** MLflow 3 truncates over-long param and tag values (MLFLOW_TRUNCATE_LONG_VALUES, default on). */
export function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

export function notActive(message: string): SlipwayError {
  return new SlipwayError('TRACKING_NOT_ACTIVE', message);
}

export function experimentNotFound(id: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_NOT_FOUND', `No Experiment with id=${id} exists`);
}

export function runNotFound(runId: string): SlipwayError {
  return new SlipwayError('TRACKING_RUN_NOT_FOUND', `Run with id=${runId} not found`);
}

export function loggedModelNotFound(modelId: string): SlipwayError {
  return new SlipwayError('TRACKING_LOGGED_MODEL_NOT_FOUND', `Logged model with ID '${modelId}' not found.`);
}
