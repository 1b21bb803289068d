import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SlipwayError } from '../core/errors.js';

/** Routes that orchestrators probe without credentials (Kubernetes probes, SageMaker's /ping). */
const OPEN_ROUTES = new Set(['/v2/health/live', '/v2/health/ready', '/ping', '/health']);

/**
 * The one place that decides who may call a route: with a token configured, every route but the
 * health probes needs `Authorization: Bearer <token>`; without one, everything is open (serve
 * refuses to bind a non-loopback address in that case).
 */
export function createAuthHook(token: string | null) {
  if (!token) return null;
  const expected = Buffer.from(token);
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const path = request.url.split('?', 1)[0];
    if (OPEN_ROUTES.has(path)) return;
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SlipwayError(
        'CORE_UNAUTHORIZED',
        'missing or wrong bearer token: send "Authorization: Bearer <SLIPWAY_TOKEN>"',
      );
    }
  };
}
