import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SlipwayError } from '../core/errors.js';
import { isUiPath } from './static-ui.js';

/** Routes that orchestrators probe without credentials (Kubernetes probes, SageMaker's /ping). */
const OPEN_ROUTES = new Set(['/v2/health/live', '/v2/health/ready', '/ping', '/health']);

export type Authenticate = (path: string, authorization: string | undefined) => void;

/**
 * The one place that decides who may call a route: with a token configured, every route but the
 * health probes needs `Authorization: Bearer <token>`; without one, everything is open (serve
 * refuses to bind a non-loopback address in that case). Returns null when open.
 */
export function createAuthenticator(token: string | null): Authenticate | null {
  if (!token) return null;
  const expected = Buffer.from(token);
  return (path, authorization) => {
    // The dashboard's files hold no data: the page loads, then asks for the token (static-ui.ts).
    if (OPEN_ROUTES.has(path) || isUiPath(path)) return;
    const header = authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SlipwayError(
        'CORE_UNAUTHORIZED',
        'missing or wrong bearer token: send "Authorization: Bearer <SLIPWAY_TOKEN>"',
      );
    }
  };
}

/** The authenticator as a fastify onRequest hook. */
export function authHook(authenticate: Authenticate) {
  return async function authenticateRequest(request: FastifyRequest): Promise<void> {
    authenticate(request.url.split('?', 1)[0], request.headers.authorization);
  };
}
