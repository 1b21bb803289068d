import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { SlipwayError } from '../core/errors.js';
import { TensorArena } from '../index.js';
import type { Authenticate } from './auth.js';
import { FastLaneServer, type LaneRespond } from './fast-lane/fast-lane.js';
import { V2BodyReader } from './protocols/v2-body-reader.js';
import { type InferBody, inferV2 } from './protocols/v2-infer.js';
import { RequestIds } from './request-ids.js';
import type { ServingContext } from './serving-context.js';

/** `/v2/models/<name>[/versions/<v>]/infer`, with names that need no URL decoding and no query. */
const INFER_ROUTE = /^\/v2\/models\/([A-Za-z0-9_.-]+)(?:\/versions\/([A-Za-z0-9_.-]+))?\/infer$/;

/** An answer: status, JSON body text, and the headers an infer answer may carry. */
type Reply = (status: number, text: string, extra?: AnswerHeaders) => void;
interface AnswerHeaders {
  modelVersion?: string | null;
  revision?: string | null;
  retryAfter?: string | null;
}

/**
 * The V2 infer route ahead of fastify's router, hooks and reply machinery, on two transports:
 * the fast lane (fast-lane/fast-lane.ts: small requests read and answered on the raw socket) and
 * node:http (connections the lane handed over, e.g. because a body arrived in several reads).
 *
 * Why: bench/serving measured fastify alone (no model) at well under the bare node:http floor on
 * small JSON requests, and node:http itself well above a socket-level reader, so no route through
 * them could reach the serving goals. Everything the route does is shared with the fastify route
 * — inference, metrics and error mapping in `inferV2`, authentication in `auth.ts` — so this file
 * only moves bytes. Requests it does not recognise (other routes, other content types, encoded
 * names) go to fastify, which still serves this route too (`app.inject` in tests uses that one).
 */
export function createFastInferServer(
  ctx: ServingContext,
  authenticate: Authenticate | null,
  log: () => FastifyBaseLogger,
  bodyLimit: number,
  fallback: RequestListener,
): FastLaneServer {
  // One reader and arena per server: the reader's scratch space is reused by every request.
  const call = inferCall(ctx, authenticate, log, new V2BodyReader(new TensorArena()));
  const ids = new RequestIds();
  // Requests mostly repeat one target: its match is kept, so neither `takes` nor `handle` runs the
  // regular expression again for it.
  let lastTarget = '';
  let lastMatch: RegExpExecArray | null = null;
  const route = (target: string): RegExpExecArray | null => {
    if (target !== lastTarget) {
      lastTarget = target;
      lastMatch = INFER_ROUTE.exec(target);
    }
    return lastMatch;
  };
  const viaNode = (req: IncomingMessage, res: ServerResponse) => {
    if (!fastInferViaNode(call, req, res, ctx, bodyLimit, ids)) fallback(req, res);
  };
  return new FastLaneServer(viaNode, {
    // node:http's own limit (16 KiB unless --max-http-header-size says otherwise): past it, node answers 431.
    maxHeaderSize: http.maxHeaderSize,
    bodyLimit,
    draining: () => ctx.draining,
    takes: (target, headers) => route(target) !== null && isJson(headers['content-type']),
    handle: (request, respond) => {
      const match = route(request.target)!;
      const headers = request.headers;
      const reply = laneReply(respond, headers['x-request-id'] || ids.next());
      call(match, headers, request.target, () => request.body, reply.requestId, reply.send);
    },
  });
}

type InferCall = (
  match: RegExpExecArray,
  headers: IncomingHttpHeaders,
  target: string,
  body: () => Buffer,
  requestId: string,
  reply: Reply,
) => void;

/** One infer request with its complete body, whichever transport brought it. */
function inferCall(
  ctx: ServingContext,
  authenticate: Authenticate | null,
  log: () => FastifyBaseLogger,
  reader: V2BodyReader,
): InferCall {
  return (match, headers, target, readBody, requestId, reply) => {
    try {
      authenticate?.(target, headers.authorization);
    } catch (err) {
      reply(401, errorJson((err as Error).message));
      return;
    }
    let body: InferBody;
    try {
      const bytes = readBody();
      // The reader takes the common shape of body (a fraction of JSON.parse's cost); anything
      // else, malformed bodies included, is JSON.parse's to judge.
      body = reader.read(bytes) ?? JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      reply(400, errorJson(`body is not valid JSON: ${(err as Error).message}`));
      return;
    }
    inferV2(ctx, match[1], match[2] ?? null, body, requestId, headers).then(
      (ok) => reply(200, ok.text, { modelVersion: ok.version, revision: ok.revision }),
      (err) => {
        if (!(err instanceof SlipwayError)) log().error({ err, reqId: requestId }, 'unexpected error');
        const error = err instanceof SlipwayError ? err : new SlipwayError('INTERNAL', 'internal error');
        const retryAfter =
          error.code === 'RUNTIME_OVERLOADED' || error.code === 'RUNTIME_MODEL_NOT_READY'
            ? String(Math.max(1, Math.ceil(Number(error.details?.retryAfterSeconds ?? 1))))
            : null;
        reply(error.httpStatus, errorJson(error.message), { retryAfter });
      },
    );
  };
}

function errorJson(message: string): string {
  return JSON.stringify({ error: message });
}

function isJson(type: string | undefined): boolean {
  return type?.startsWith('application/json') === true;
}

/** The lane's answer: the header lines node:http would write for the same answer. */
function laneReply(respond: LaneRespond, requestId: string): { requestId: string; send: Reply } {
  return {
    requestId,
    send: (status, text, extra) => {
      respond(
        status,
        answerHeaders(requestId, extra).map(([name, value]) => `${name}: ${value}`),
        text,
      );
    },
  };
}

/** The route on node:http, for connections the lane handed over; false when it is not this route. */
function fastInferViaNode(
  call: InferCall,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServingContext,
  bodyLimit: number,
  ids: RequestIds,
): boolean {
  if (req.method !== 'POST') return false;
  const match = INFER_ROUTE.exec(req.url ?? '');
  if (match === null || !isJson(req.headers['content-type'])) return false;
  const requestId = (req.headers['x-request-id'] as string | undefined) || ids.next();
  const reply: Reply = (status, text, extra) => answer(res, ctx, requestId, status, text, extra);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= bodyLimit) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > bodyLimit) {
      reply(413, errorJson(`request body is larger than ${bodyLimit} bytes`));
      return;
    }
    const bytes = () => (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    call(match, req.headers, req.url!, bytes, requestId, reply);
  });
  return true;
}

function answer(
  res: ServerResponse,
  ctx: ServingContext,
  requestId: string,
  status: number,
  text: string,
  extra: AnswerHeaders | undefined,
): void {
  const headers: Record<string, string | number> = Object.fromEntries(answerHeaders(requestId, extra));
  headers['content-length'] = Buffer.byteLength(text);
  if (ctx.draining) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

/** The headers of an infer answer, whichever transport writes it (each adds its own framing). */
function answerHeaders(requestId: string, extra: AnswerHeaders | undefined): [string, string][] {
  const headers: [string, string][] = [
    ['content-type', 'application/json; charset=utf-8'],
    ['x-request-id', requestId],
  ];
  if (extra?.modelVersion != null) headers.push(['x-model-version', extra.modelVersion]);
  if (extra?.revision != null) headers.push(['x-deployment-revision', extra.revision]);
  if (extra?.retryAfter != null) headers.push(['retry-after', extra.retryAfter]);
  return headers;
}
