/**
 * The one error type of slipway and its catalogue of stable codes.
 *
 * Every failure a caller can act on is a `SlipwayError` whose `code` keys `ERROR_CODES`. Each row
 * says how each adapter reports it: the HTTP status, the CLI exit code and MLflow's `error_code`
 * (protocols.md D.1). Codes are never renamed or reused; `docs/errors.md` lists them and a test
 * keeps the two in step.
 */

/** CLI exit codes (STYLE.md 11). */
export const EXIT = {
  ok: 0,
  internal: 1,
  invalid: 2,
  notFound: 3,
  conflict: 4,
  unavailable: 5,
} as const;

interface ErrorRow {
  readonly httpStatus: number;
  readonly exitCode: number;
  /** MLflow's error code name, for the tracking API (RESOURCE_ALREADY_EXISTS is 400 in MLflow). */
  readonly mlflowCode: string;
  readonly meaning: string;
}

function row(httpStatus: number, exitCode: number, mlflowCode: string, meaning: string): ErrorRow {
  return { httpStatus, exitCode, mlflowCode, meaning };
}

export const ERROR_CODES = {
  INTERNAL: row(500, EXIT.internal, 'INTERNAL_ERROR', 'An unexpected failure; the log has the stack.'),
  CORE_INVALID_ARGUMENT: row(400, EXIT.invalid, 'INVALID_PARAMETER_VALUE', 'A parameter is malformed.'),
  CORE_INVALID_NAME: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A name is not 1-128 letters, digits, "-", "_" or ".".',
  ),
  CORE_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'A named resource does not exist.'),
  CORE_UNAUTHORIZED: row(401, EXIT.invalid, 'UNAUTHENTICATED', 'A bearer token is required or wrong.'),
  CORE_UNSUPPORTED_MEDIA_TYPE: row(
    415,
    EXIT.invalid,
    'BAD_REQUEST',
    'The request body has a content type the route does not read.',
  ),
  CORE_CLOSED: row(503, EXIT.unavailable, 'TEMPORARILY_UNAVAILABLE', 'The slipway context was closed.'),
  ARTIFACTS_FILE_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'An input file does not exist.',
  ),
  ARTIFACTS_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'No artifact has that digest.'),
  ARTIFACTS_CORRUPT: row(
    500,
    EXIT.internal,
    'INTERNAL_ERROR',
    'Stored bytes no longer match their sha256 digest.',
  ),
  ONNX_INVALID_MODEL: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'The file is not a valid ONNX model (zip, pickle, truncated protobuf...).',
  ),
  ONNX_UNSUPPORTED_OUTPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An output type cannot be served (for example a ZipMap that cannot be rewritten).',
  ),
  ONNX_LOAD_FAILED: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'onnxruntime could not load or run the model.',
  ),
  REGISTRY_MODEL_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No registered model has that name.',
  ),
  REGISTRY_MODEL_EXISTS: row(
    400,
    EXIT.conflict,
    'RESOURCE_ALREADY_EXISTS',
    'A registered model has that name.',
  ),
  REGISTRY_VERSION_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'The model has no such version.',
  ),
  REGISTRY_ALIAS_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'The model has no such alias.',
  ),
  REGISTRY_INVALID_REF: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A model reference is not name, name:version or name@alias.',
  ),
  REGISTRY_INVALID_MLMODEL: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An MLflow model directory has no usable MLmodel file or onnx flavor.',
  ),
  REGISTRY_INVALID_DATASET: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A dataset file cannot be read or does not fit the model.',
  ),
  RUNTIME_MODEL_NOT_READY: row(
    503,
    EXIT.unavailable,
    'TEMPORARILY_UNAVAILABLE',
    'The model is not loaded yet.',
  ),
  RUNTIME_MODEL_NOT_SERVABLE: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'The model version has no servable ONNX artifact.',
  ),
  RUNTIME_INVALID_INPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An inference request is malformed.',
  ),
  RUNTIME_UNKNOWN_INPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A request names an input the model lacks.',
  ),
  RUNTIME_MISSING_INPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A request lacks an input of the model.',
  ),
  RUNTIME_UNKNOWN_OUTPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A request asks for an output the model lacks.',
  ),
  RUNTIME_INPUT_DATATYPE_MISMATCH: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An input tensor has the wrong datatype.',
  ),
  RUNTIME_INPUT_SHAPE_MISMATCH: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An input tensor has the wrong shape, or its data does not fill its shape.',
  ),
  RUNTIME_OVERLOADED: row(
    503,
    EXIT.unavailable,
    'TEMPORARILY_UNAVAILABLE',
    'The model queue is full; retry later.',
  ),
  RUNTIME_TIMEOUT: row(
    504,
    EXIT.unavailable,
    'TEMPORARILY_UNAVAILABLE',
    'The request took longer than its timeout.',
  ),
  RUNTIME_INFERENCE_FAILED: row(
    500,
    EXIT.internal,
    'INTERNAL_ERROR',
    'onnxruntime failed while running a batch.',
  ),
  RUNTIME_WORKER_EXITED: row(500, EXIT.internal, 'INTERNAL_ERROR', 'An inference worker thread died.'),
  DEPLOYMENTS_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'No deployment has that name.'),
  DEPLOYMENTS_EXISTS: row(
    409,
    EXIT.conflict,
    'RESOURCE_ALREADY_EXISTS',
    'A deployment or a registered model already has that name (they share one namespace).',
  ),
  DEPLOYMENTS_REVISION_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'The deployment has no such revision.',
  ),
  DEPLOYMENTS_ROLLOUT_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No rollout has that id.',
  ),
  DEPLOYMENTS_CONFLICT: row(
    409,
    EXIT.conflict,
    'INVALID_STATE',
    'The live revision changed while the change was being decided (another writer won).',
  ),
  DEPLOYMENTS_INVALID_STATE: row(
    409,
    EXIT.conflict,
    'INVALID_STATE',
    'The change does not apply to the deployment as it is (nothing to promote, a rollout already running).',
  ),
  DEPLOYMENTS_GATE_FAILED: row(
    409,
    EXIT.conflict,
    'INVALID_STATE',
    'A promotion gate failed: the candidate was not promoted; the report names the check and by how much.',
  ),
  DEPLOYMENTS_NOT_READY: row(
    503,
    EXIT.unavailable,
    'TEMPORARILY_UNAVAILABLE',
    "The versions of the deployment's live revision are not loaded (yet, or they failed to load).",
  ),
  TRACKING_INVALID_PARAMETER: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A tracking request is malformed or breaks an MLflow limit (batch size, value length, filter).',
  ),
  TRACKING_EXPERIMENT_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No experiment has that id or name.',
  ),
  TRACKING_EXPERIMENT_EXISTS: row(
    400,
    EXIT.conflict,
    'RESOURCE_ALREADY_EXISTS',
    'An experiment has that name (MLflow answers 400 here, not 409).',
  ),
  TRACKING_RUN_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'No run has that id.'),
  TRACKING_NOT_ACTIVE: row(
    400,
    EXIT.conflict,
    'INVALID_PARAMETER_VALUE',
    'The run or experiment is deleted; restore it before writing to it.',
  ),
  TRACKING_PARAM_CHANGED: row(
    400,
    EXIT.conflict,
    'INVALID_PARAMETER_VALUE',
    'A param was logged again with a different value; params are immutable.',
  ),
  TRACKING_LOGGED_MODEL_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No logged model has that id.',
  ),
  TRACKING_ARTIFACT_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No run artifact is stored at that path.',
  ),
  TRACKING_INVALID_PATH: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An artifact path is absolute or leaves its root (`..`, encoded traversal).',
  ),
  TRACKING_NOT_IMPLEMENTED: row(
    501,
    EXIT.invalid,
    'NOT_IMPLEMENTED',
    'The operation is not offered by this store (multipart upload); clients fall back.',
  ),
  TRACKING_ENDPOINT_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'ENDPOINT_NOT_FOUND',
    'No MLflow endpoint has that path.',
  ),
  BATCH_UNSUPPORTED_FORMAT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A batch input or output is not CSV, JSON Lines or Parquet, or its format cannot be told from its name.',
  ),
  BATCH_INVALID_INPUT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A batch input file cannot be read in its format (no CSV header, not Parquet, duplicate columns).',
  ),
  BATCH_MISSING_COLUMN: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A batch input file lacks a column the model needs or the job copies through.',
  ),
  BATCH_UNSUPPORTED_MODEL: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'The model does not take tabular inputs (one [-1, k] input, or one value per row per input).',
  ),
  BATCH_BAD_ROW: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A row of a batch input cannot be used (not a number, wrong field count) and the job stops on errors.',
  ),
  BATCH_CHECKPOINT_MISMATCH: row(
    400,
    EXIT.conflict,
    'INVALID_PARAMETER_VALUE',
    'A checkpoint to resume from belongs to another job (other model, input, options or shard).',
  ),
  BATCH_INVALID_PARTS: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'Parts given to merge are not one complete set of shards of one job.',
  ),
  BATCH_JOB_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'No batch job has that id.'),
  BATCH_CANCELLED: row(
    503,
    EXIT.unavailable,
    'TEMPORARILY_UNAVAILABLE',
    'A batch job was stopped before it finished (signal or shutdown); its checkpoint is kept.',
  ),
  MONITORING_INVALID_WINDOW: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A monitoring window is malformed: a bad duration, or several of --current, --since and --last at once.',
  ),
  MONITORING_EMPTY_WINDOW: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'The window holds no logged prediction of that model version.',
  ),
  MONITORING_NO_REFERENCE: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'The model version has no reference profile and none can be built (no readable registration dataset).',
  ),
  MONITORING_REFERENCE_MISMATCH: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A reference dataset does not fit the model version (missing feature columns, or it changed since registration).',
  ),
  MONITORING_NO_FEATURES: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'The model version has no tabular features to monitor (only wide inputs such as images).',
  ),
  MONITORING_NO_LABELS: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No prediction in the window has a label yet, so live quality cannot be computed.',
  ),
  MONITORING_INVALID_FEEDBACK: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A feedback item or file is malformed (no request_id or prediction_key, no label, a bad row).',
  ),
  MONITORING_INVALID_ALERT: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'An alert rule is malformed: unknown metric or operator, a bad threshold, window, cooldown or webhook.',
  ),
  MONITORING_ALERT_NOT_FOUND: row(
    404,
    EXIT.notFound,
    'RESOURCE_DOES_NOT_EXIST',
    'No alert rule has that name.',
  ),
} as const satisfies Record<string, ErrorRow>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SlipwayError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  get mlflowCode(): string {
    return ERROR_CODES[this.code].mlflowCode;
  }

  /** The plain form that crosses `postMessage` (custom classes do not survive it). */
  toPlain(): PlainError {
    return { code: this.code, message: this.message, details: this.details };
  }

  static fromPlain(plain: PlainError): SlipwayError {
    const code = plain.code in ERROR_CODES ? (plain.code as ErrorCode) : 'INTERNAL';
    return new SlipwayError(code, plain.message, plain.details);
  }
}

export interface PlainError {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export function isSlipwayError(err: unknown): err is SlipwayError {
  return err instanceof SlipwayError;
}

/** Turn anything thrown into a SlipwayError, hiding the raw text of unexpected failures. */
export function toSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  return new SlipwayError('INTERNAL', 'internal error', undefined, { cause: err });
}
