import type { FastifyRequest } from 'fastify';
import type {
  ArtifactFileInfo,
  DatasetInputRecord,
  ExperimentRecord,
  LoggedModelRecord,
  MetricRecord,
  MlflowModelVersion,
  MlflowRegisteredModel,
  RunInfoRecord,
  RunRecord,
} from '../../../index.js';
import { SlipwayError } from '../../../index.js';

/**
 * MLflow's JSON on the wire (protocols.md D.0, D.2): requests are proto messages as JSON (GET
 * fields in the query string, repeated keys for lists, int64 and booleans possibly as strings,
 * doubles possibly "NaN"/"Infinity"); responses use snake_case names, int64 as numbers, enum
 * names, and leave out what is unset or empty.
 */
export type Fields = Record<string, unknown>;

/** The request message: the query string for GET, the JSON body otherwise, path params on top. */
export function fieldsOf(req: FastifyRequest): Fields {
  const base = req.method === 'GET' ? (req.query as Fields) : ((req.body as Fields | undefined) ?? {});
  return { ...base, ...(req.params as Fields) };
}

export function str(f: Fields, name: string): string | undefined {
  const v = f[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length > 0 ? String(v[0]) : undefined;
  if (typeof v === 'object') throw badType(name, v, 'a string');
  return String(v);
}

export function int(f: Fields, name: string): number | undefined {
  const v = Array.isArray(f[name]) ? (f[name] as unknown[])[0] : f[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new SlipwayError(
      'TRACKING_INVALID_PARAMETER',
      `Parameter '${name}' must be an integer, got '${String(v)}'.`,
    );
  return n;
}

/** A double as protobuf JSON writes it: a number, or "NaN", "Infinity", "-Infinity", or a numeric string. */
export function double(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  return v.trim() !== '' && !Number.isNaN(n) ? n : v;
}

/** int64 fields as numbers (protobuf JSON may send them as strings). */
export function int64(v: unknown): unknown {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return v;
}

export function bool(f: Fields, name: string): boolean | undefined {
  const v = Array.isArray(f[name]) ? (f[name] as unknown[])[0] : f[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw badType(name, v, 'true or false');
}

export function list(f: Fields, name: string): string[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

export function objects(f: Fields, name: string): Fields[] {
  const v = f[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badType(name, v, 'an array');
  return v.map((x) => (x && typeof x === 'object' ? (x as Fields) : {}));
}

/** `[{key, value}]` → record (the last value of a repeated key wins, as in a proto map). */
export function keyValues(f: Fields, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of objects(f, name)) {
    if (typeof kv.key !== 'string' || kv.key === '') {
      throw new SlipwayError(
        'TRACKING_INVALID_PARAMETER',
        `Missing value for required parameter '${name}.key'.`,
      );
    }
    out[kv.key] = kv.value === undefined || kv.value === null ? '' : String(kv.value);
  }
  return out;
}

/** The run id of a request: `run_id`, else the deprecated `run_uuid` the client still sends. */
export function runIdOf(f: Fields): string | undefined {
  return str(f, 'run_id') || str(f, 'run_uuid');
}

function badType(name: string, value: unknown, expected: string): SlipwayError {
  return new SlipwayError(
    'TRACKING_INVALID_PARAMETER',
    `Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied: expected ${expected}.`,
  );
}

// ------------------------------------------------------------------ response encoders

/** Drops undefined, null and empty arrays, as protobuf's JSON leaves out unset fields. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

function pairs(record: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

/** Doubles that JSON cannot hold travel as protobuf's strings. */
export function encodeDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

export function experimentJson(e: ExperimentRecord) {
  return compact({
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: pairs(e.tags),
  });
}

export function runInfoJson(i: RunInfoRecord) {
  return compact({
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    end_time: i.endTime,
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  });
}

export function metricJson(m: MetricRecord, withRunId = false) {
  return compact({
    key: m.key,
    value: encodeDouble(m.value),
    timestamp: m.timestamp,
    step: m.step,
    dataset_name: m.datasetName,
    dataset_digest: m.datasetDigest,
    model_id: m.modelId,
    run_id: withRunId ? m.runId : undefined,
  });
}

function datasetInputJson(d: DatasetInputRecord) {
  return compact({
    tags: pairs(d.tags),
    dataset: compact({
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.sourceType,
      source: d.dataset.source,
      schema: d.dataset.schema,
      profile: d.dataset.profile,
    }),
  });
}

export function runJson(r: RunRecord) {
  return {
    info: runInfoJson(r.info),
    data: compact({
      metrics: r.metrics.map((m) => metricJson(m)),
      params: pairs(r.params),
      tags: pairs(r.tags),
    }),
    inputs: compact({
      dataset_inputs: r.datasetInputs.map(datasetInputJson),
      model_inputs: r.modelInputs.map((model_id) => ({ model_id })),
    }),
    outputs: compact({
      model_outputs: r.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step })),
    }),
  };
}

export function loggedModelJson(
  m: LoggedModelRecord,
  registrations: { name: string; version: string }[] = [],
) {
  return {
    info: compact({
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: m.creationTime,
      last_updated_timestamp_ms: m.lastUpdatedTime,
      artifact_uri: m.artifactUri,
      status: m.status,
      creator_id: m.creatorId,
      model_type: m.modelType,
      source_run_id: m.sourceRunId,
      status_message: m.statusMessage,
      tags: pairs(m.tags),
      registrations,
    }),
    data: compact({
      params: pairs(m.params),
      metrics: m.metrics.map((x) => metricJson(x, true)),
    }),
  };
}

export function modelVersionJson(v: MlflowModelVersion) {
  return compact({
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.createdAt,
    last_updated_timestamp: v.lastUpdatedAt,
    user_id: v.userId,
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    run_id: v.runId,
    status: v.status,
    status_message: v.statusMessage,
    tags: pairs(v.tags),
    run_link: v.runLink,
    aliases: v.aliases,
    model_id: v.modelId,
  });
}

export function registeredModelJson(m: MlflowRegisteredModel) {
  return compact({
    name: m.name,
    creation_timestamp: m.createdAt,
    last_updated_timestamp: m.lastUpdatedAt,
    description: m.description,
    latest_versions: m.latestVersions.map(modelVersionJson),
    tags: pairs(m.tags),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  });
}

export function fileInfoJson(f: ArtifactFileInfo) {
  return compact({ path: f.name, is_dir: f.isDir, file_size: f.isDir ? undefined : f.fileSize });
}

/** `{..., next_page_token}` only when there is a next page. */
export function withToken<T extends Record<string, unknown>>(
  body: T,
  token: string | null,
): T & { next_page_token?: string } {
  return token ? { ...body, next_page_token: token } : body;
}
