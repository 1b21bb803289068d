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
  CORE_UNSUPPORTED_MEDIA_TYPE: row(415, EXIT.invalid, 'BAD_REQUEST', 'The request body has a content type the route does not read.'),
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
  TRACKING_INVALID_PARAMETER: row(
    400,
    EXIT.invalid,
    'INVALID_PARAMETER_VALUE',
    'A tracking request is malformed or breaks an MLflow limit (batch size, value length, filter).',
  ),
  TRACKING_EXPERIMENT_NOT_FOUND: row(404, EXIT.notFound, 'RESOURCE_DOES_NOT_EXIST', 'No experiment has that id or name.'),
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
  TRACKING_ENDPOINT_NOT_FOUND: row(404, EXIT.notFound, 'ENDPOINT_NOT_FOUND', 'No MLflow endpoint has that path.'),
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
