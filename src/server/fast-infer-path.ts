import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { SlipwayError } from '../core/errors.js';
import type { Authenticate } from './auth.js';
import { type InferBody, inferV2 } from './protocols/v2-infer.js';
import type { ServingContext } from './serving-context.js';

/** `/v2/models/<name>[/versions/<v>]/infer`, with names that need no URL decoding and no query. */
const INFER_ROUTE = /^\/v2\/models\/([A-Za-z0-9_.-]+)(?:\/versions\/([A-Za-z0-9_.-]+))?\/infer$/;

/**
 * The V2 infer route on node:http directly, ahead of fastify's router, hooks and reply machinery.
 *
 * Why: bench/serving measured fastify alone (no model) at well under the bare node:http floor on
 * small JSON requests, so no route through it could reach the serving goal of 0.8 × that floor.
 * Everything the route does is shared with the fastify route — inference, metrics and error
 * mapping in `inferV2`, authentication in `auth.ts` — so this file only reads the body and writes
 * the answer. Requests it does not recognise (other routes, other content types, encoded names)
 * go to fastify, which still serves this route too (and `app.inject` in tests uses that one).
 */
export function createFastInferPath(
  ctx: ServingContext,
  authenticate: Authenticate | null,
  log: () => FastifyBaseLogger,
  bodyLimit: number,
) {
  return function fastInfer(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const match = INFER_ROUTE.exec(req.url ?? '');
    if (match === null) return false;
    const type = req.headers['content-type'];
    if (type === undefined || !type.startsWith('application/json')) return false;

    const requestId = (req.headers['x-request-id'] as string | undefined) || randomUUID();
    try {
      authenticate?.(req.url!, req.headers.authorization);
    } catch (err) {
      drainAndAnswer(req, res, ctx, requestId, 401, { error: (err as Error).message });
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        answer(res, ctx, requestId, 413, { error: `request body is larger than ${bodyLimit} bytes` });
        return;
      }
      let body: InferBody;
      try {
        body = JSON.parse(
          chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'),
        );
      } catch (err) {
        answer(res, ctx, requestId, 400, { error: `body is not valid JSON: ${(err as Error).message}` });
        return;
      }
      inferV2(ctx, match[1], match[2] ?? null, body, requestId, req.headers).then(
        (ok) => answer(res, ctx, requestId, 200, ok.body, ok.version, null, ok.revision),
        (err) => {
          if (!(err instanceof SlipwayError)) log().error({ err, reqId: requestId }, 'unexpected error');
          const error = err instanceof SlipwayError ? err : new SlipwayError('INTERNAL', 'internal error');
          const retryAfter =
            error.code === 'RUNTIME_OVERLOADED' || error.code === 'RUNTIME_MODEL_NOT_READY'
              ? String(Math.max(1, Math.ceil(Number(error.details?.retryAfterSeconds ?? 1))))
              : null;
          answer(res, ctx, requestId, error.httpStatus, { error: error.message }, null, retryAfter);
        },
      );
    });
    return true;
  };
}

function answer(
  res: ServerResponse,
  ctx: ServingContext,
  requestId: string,
  status: number,
  body: unknown,
  modelVersion: string | null = null,
  retryAfter: string | null = null,
  revision: string | null = null,
): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  };
  if (modelVersion !== null) headers['x-model-version'] = modelVersion;
  if (revision !== null) headers['x-deployment-revision'] = revision;
  if (retryAfter !== null) headers['retry-after'] = retryAfter;
  if (ctx.draining) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** Answers before reading the body; the body is still consumed so the connection stays usable. */
function drainAndAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServingContext,
  requestId: string,
  status: number,
  body: unknown,
): void {
  req.resume();
  req.on('end', () => answer(res, ctx, requestId, status, body));
}
