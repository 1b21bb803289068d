import { parse as parseCsv } from 'csv-parse/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError } from '../../core/errors.js';
import {
  type Arm,
  outputsToRecords,
  recordsToTable,
  type ServedVersion,
  type Table,
  type TensorMap,
  tableToInputs,
} from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ModelSeries } from '../metrics.js';
import type { ServingContext } from '../serving-context.js';
import { countFailure, observe, statusOf } from './v2-infer.js';

const DATA_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * MLflow's scoring protocol (`mlflow models serve`, protocols.md C) on the same server, which is
 * also the bring-your-own-container contract of managed platforms (GET /ping, POST /invocations).
 * Errors are MLflow's `{error_code, message}`.
 */
export async function mlflowScoringPlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    if (status === 504)
      return reply.code(504).type('text/plain').send('Request processing time exceeded limit');
    const code = status === 400 || status === 415 ? 'BAD_REQUEST' : error.mlflowCode;
    reply.code(status).send({ error_code: code, message: error.message });
  });
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const tags = ['MLflow scoring protocol'];
  const ping = async (_req: FastifyRequest, reply: FastifyReply) => {
    const name = ctx.defaultModel ?? ctx.repository.modelNames()[0];
    if (!ctx.repository.isReady() || !name) return reply.code(404).type('application/json').send('\n');
    return reply.code(200).type('application/json').send('\n');
  };
  app.get('/ping', { schema: { tags, summary: 'Liveness and readiness (SageMaker-style)' } }, ping);
  app.get('/health', { schema: { tags, summary: 'Same as /ping' } }, ping);
  app.get('/version', { schema: { tags, summary: 'Server version, as plain text' } }, async (_req, reply) =>
    reply.type('text/plain').send(ctx.version),
  );
  app.post(
    '/invocations',
    { schema: { tags, summary: 'Score with the default model' } },
    async (request, reply) => {
      const name = ctx.defaultModel ?? onlyModel(ctx);
      return invoke(ctx, name, request, reply);
    },
  );
  app.post<{ Params: { name: string } }>(
    '/models/:name/invocations',
    { schema: { tags, summary: 'Score with a named model' } },
    async (request, reply) => invoke(ctx, request.params.name, request, reply),
  );
}

function onlyModel(ctx: ServingContext): string {
  const names = ctx.repository.modelNames();
  if (names.length === 1) return names[0];
  throw new SlipwayError(
    'CORE_INVALID_ARGUMENT',
    names.length === 0
      ? 'no model is served'
      : `several models are served (${names.join(', ')}): POST /models/<name>/invocations, or start with --model to pick the default`,
  );
}

async function invoke(ctx: ServingContext, name: string, request: FastifyRequest, reply: FastifyReply) {
  const started = performance.now();
  let series: ModelSeries | null = null;
  let arm: Arm | null = null;
  ctx.metrics.inflightMlflow.inc();
  try {
    // A deployment name is routed by its live revision (the same seam as V2, see v2-infer.ts).
    arm = ctx.deployments === null ? null : ctx.deployments.route(name, null, request.headers, request.body);
    const served = arm === null ? await ctx.repository.get(name, null) : arm.served;
    series = ctx.metrics.series(served.record.name, String(served.record.version), 'mlflow');
    const inputs = parseScoringRequest(request, served);
    const result = await ctx.repository.infer(served, inputs, { timeoutMs: ctx.requestTimeoutMs });
    observe(series, result);
    reply.header('x-model-version', series.labels.version);
    series.requests(200);
    if (arm !== null) {
      reply.header('x-deployment-revision', arm.revisionText);
      const ms = performance.now() - started;
      arm.counters.ok(ms);
      if (arm.shadow !== null) {
        ctx.deployments!.shadow({
          primary: arm,
          requestId: request.id,
          inputs,
          decode: decodeScoringRequest,
          payload: request,
          primaryOutputs: result.outputs,
          primaryMs: ms,
          at: Date.now(),
        });
      }
    }
    if (ctx.predictions !== null) {
      ctx.predictions.record({
        requestId: request.id,
        protocol: 'mlflow',
        model: served.record.name,
        version: served.record.version,
        deployment: arm?.deployment ?? null,
        receivedAt: Date.now() - (performance.now() - started),
        latencyMs: performance.now() - started,
        inputs,
        outputs: result.outputs,
        featureNames: (served.record.metadata.featureNames as string[] | null | undefined) ?? null,
        predictionKey: null,
      });
    }
    const predictions = outputsToRecords(result.outputs, served.index.outputNames);
    // A deployment says which version answered in the body too (MLflow clients read `predictions` only).
    return arm === null ? { predictions } : { predictions, model_version: arm.versionText };
  } catch (err) {
    countFailure(ctx, series ?? ctx.metrics.series('', '', 'mlflow'), err);
    arm?.counters.fail(statusOf(err), performance.now() - started);
    throw err;
  } finally {
    ctx.metrics.inflightMlflow.dec();
    (series ?? ctx.metrics.series('', '', 'mlflow')).duration.observe((performance.now() - started) / 1000);
  }
}

function decodeScoringRequest(served: ServedVersion, request: unknown): TensorMap {
  return parseScoringRequest(request as FastifyRequest, served);
}

/** The four JSON formats and CSV of `mlflow models serve`, turned into the model's tensors. */
export function parseScoringRequest(request: FastifyRequest, served: ServedVersion): TensorMap {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv' || type === 'application/csv') {
    return tableToInputs(served.record, csvTable(String(request.body ?? '')));
  }
  if (type !== 'application/json') {
    throw new SlipwayError(
      'CORE_UNSUPPORTED_MEDIA_TYPE',
      `unsupported content type "${type || '(none)'}": this predictor only supports application/json and text/csv`,
    );
  }
  const body = request.body as Record<string, unknown> | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badFormat();
  const keys = DATA_KEYS.filter((k) => k in body);
  if (keys.length !== 1) throw badFormat();
  const value = body[keys[0]];
  switch (keys[0]) {
    case 'dataframe_split':
      return tableToInputs(served.record, splitTable(value));
    case 'dataframe_records':
      if (!Array.isArray(value)) {
        throw new SlipwayError(
          'RUNTIME_INVALID_INPUT',
          'Invalid input. "dataframe_records" must be a list of records',
        );
      }
      return tableToInputs(served.record, recordsToTable(value));
    case 'instances':
      return instancesToInputs(served, value);
    default:
      return columnarToInputs(served, value);
  }
}

function splitTable(value: unknown): Table {
  const v = value as { columns?: unknown; data?: unknown } | null;
  if (!v || !Array.isArray(v.columns) || !Array.isArray(v.data)) {
    throw new SlipwayError(
      'RUNTIME_INVALID_INPUT',
      'Invalid input. "dataframe_split" must be {"columns": [...], "data": [[...], ...]}',
    );
  }
  return { columns: v.columns.map(String), rows: v.data as unknown[][] };
}

function instancesToInputs(served: ServedVersion, value: unknown): TensorMap {
  if (!Array.isArray(value))
    throw new SlipwayError('RUNTIME_INVALID_INPUT', 'Invalid input. "instances" must be a list');
  if (value.length > 0 && typeof value[0] === 'object' && value[0] !== null && !Array.isArray(value[0])) {
    return tableToInputs(served.record, recordsToTable(value));
  }
  return columnarToInputs(served, value);
}

/** `inputs`: one nested array for a single-input model, or `{input name: nested array}`. */
function columnarToInputs(served: ServedVersion, value: unknown): TensorMap {
  const specs = served.record.signature.inputs;
  const named: Record<string, unknown> =
    Array.isArray(value) && specs.length === 1
      ? { [specs[0].name]: value }
      : (value as Record<string, unknown>);
  if (typeof named !== 'object' || named === null || Array.isArray(named)) {
    throw new SlipwayError(
      'RUNTIME_INVALID_INPUT',
      `Invalid input. expected {${specs.map((s) => `"${s.name}": [...]`).join(', ')}} for a model with several inputs`,
    );
  }
  const v2Inputs = Object.entries(named).map(([inputName, data]) => {
    const spec = specs.find((s) => s.name === inputName);
    return { name: inputName, datatype: spec?.datatype ?? 'FP32', shape: shapeOf(data), data };
  });
  return served.codec.decodeInputs(v2Inputs);
}

/** The shape of a nested JSON array (its first element at each depth). */
function shapeOf(data: unknown): number[] {
  const shape: number[] = [];
  let cur = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function csvTable(text: string): Table {
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new SlipwayError(
      'RUNTIME_INVALID_INPUT',
      `Failed to parse input as a Pandas DataFrame: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (records.length === 0)
    throw new SlipwayError('RUNTIME_INVALID_INPUT', 'Invalid input. the CSV body is empty');
  const [header, ...rows] = records;
  // pandas' to_csv writes the index as an unnamed first column; drop it.
  const skip = header[0] === '' ? 1 : 0;
  return { columns: header.slice(skip), rows: rows.map((r) => r.slice(skip).map(Number)) };
}

function badFormat(): SlipwayError {
  return new SlipwayError(
    'RUNTIME_INVALID_INPUT',
    'The input must be a JSON dictionary with exactly one of the input fields {"dataframe_split", ' +
      '"dataframe_records", "instances", "inputs"}',
  );
}
