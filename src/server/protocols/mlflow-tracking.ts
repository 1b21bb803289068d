import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Slipway } from '../../index.js';
import { SlipwayError } from '../../index.js';
import { artifactProxyRoutes } from './mlflow-tracking/artifacts.js';
import { experimentRoutes } from './mlflow-tracking/experiments.js';
import { loggedModelRoutes } from './mlflow-tracking/logged-models.js';
import { registryRoutes } from './mlflow-tracking/registry.js';
import { runRoutes } from './mlflow-tracking/runs.js';

/**
 * The MLflow tracking REST API (protocols.md section D), so the Python `mlflow` client works with
 * `MLFLOW_TRACKING_URI` pointed at slipway: experiments, runs, metrics, logged models, the model
 * registry (slipway's one Registry), and the artifact proxy. Mounted under `/api/2.0/...` and,
 * like MLflow, again under `/ajax-api/2.0/...`.
 *
 * Mount with `app.register(mlflowTrackingPlugin, { slipway })`. Each scope has one error handler
 * writing MLflow's `{error_code, message}` with MLflow's status for the code (D.1): predictable
 * failures are 4xx, never 500/503, which the client would retry for minutes.
 */
export async function mlflowTrackingPlugin(app: FastifyInstance, opts: { slipway: Slipway }): Promise<void> {
  const { slipway } = opts;
  for (const base of ['/api/2.0', '/ajax-api/2.0']) {
    await app.register(
      async (scope) => {
        useMlflowErrors(scope);
        useMlflowJson(scope);
        experimentRoutes(scope, slipway);
        runRoutes(scope, slipway);
        loggedModelRoutes(scope, slipway);
        registryRoutes(scope, slipway);
      },
      { prefix: `${base}/mlflow` },
    );
    await app.register(
      async (scope) => {
        useMlflowErrors(scope);
        artifactProxyRoutes(scope, slipway);
      },
      { prefix: `${base}/mlflow-artifacts` },
    );
  }
}

/** HTTP status per MLflow error code (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS). */
const MLFLOW_STATUS: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  INVALID_STATE: 500,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  RESOURCE_CONFLICT: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

function useMlflowErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((err: FastifyError | SlipwayError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof SlipwayError) {
      const code = err.mlflowCode;
      return reply
        .code(MLFLOW_STATUS[code] ?? err.httpStatus)
        .send({ error_code: code, message: err.message });
    }
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // fastify's own refusals (malformed JSON, body too large...): the client's fault, said so.
      const code = status === 413 ? 'INVALID_PARAMETER_VALUE' : 'BAD_REQUEST';
      return reply.code(status === 413 ? 413 : 400).send({ error_code: code, message: err.message });
    }
    request.log.error({ err }, 'mlflow tracking request failed');
    return reply.code(500).send({ error_code: 'INTERNAL_ERROR', message: 'internal error' });
  });
  scope.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `No MLflow endpoint ${request.method} ${request.url.split('?', 1)[0]}`,
    });
  });
}

/**
 * Request bodies as MLflow's Flask server reads them (D.0): JSON, `{}` when empty, a JSON string
 * decoded twice (old clients double-encode); POST and PUT must say `application/json`.
 */
function useMlflowJson(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 },
    (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const type = request.headers['content-type'];
      if (request.method === 'POST' || request.method === 'PUT') {
        if (!type) return done(invalid('Bad Request. Content-Type header is missing.'));
        if (!/^application\/json\b/i.test(type)) {
          return done(invalid("Bad Request. Content-Type must be one of ['application/json']."));
        }
      }
      const text = body.toString();
      if (text.trim() === '') return done(null, {});
      try {
        let parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'string') parsed = JSON.parse(parsed);
        if (parsed === null) return done(null, {});
        if (typeof parsed !== 'object' || Array.isArray(parsed)) {
          return done(invalid('Bad Request. The request body must be a JSON object.'));
        }
        return done(null, parsed);
      } catch (err) {
        return done(invalid(`Bad Request. The request body is not valid JSON: ${(err as Error).message}`));
      }
    },
  );
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('TRACKING_INVALID_PARAMETER', message);
}
