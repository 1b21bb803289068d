import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, SlipwayError } from '../core/errors.js';

/**
 * Turns anything a route threw into a SlipwayError: ours pass through, fastify's own (bad JSON,
 * body too large, unsupported media type) keep their status, and the rest become INTERNAL with
 * the original logged but never sent.
 */
export function normaliseError(
  err: unknown,
  request: FastifyRequest,
): { error: SlipwayError; status: number } {
  if (err instanceof SlipwayError) return { error: err, status: err.httpStatus };
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 404 ? 'CORE_NOT_FOUND' : 'CORE_INVALID_ARGUMENT';
    return { error: new SlipwayError(code, fe.message), status: fe.statusCode };
  }
  request.log.error({ err }, 'unexpected error');
  return { error: new SlipwayError('INTERNAL', 'internal error'), status: ERROR_CODES.INTERNAL.httpStatus };
}

/** Overload answers carry Retry-After (RFC 9110 10.2.3), so clients back off instead of hammering. */
export function setRetryAfter(reply: FastifyReply, error: SlipwayError): void {
  if (error.code === 'RUNTIME_OVERLOADED' || error.code === 'RUNTIME_MODEL_NOT_READY') {
    const seconds = Number(error.details?.retryAfterSeconds ?? 1);
    reply.header('retry-after', String(Math.max(1, Math.ceil(seconds))));
  }
}
