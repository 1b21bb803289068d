import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The built dashboard (`npm run build` runs `vite build ui` into dist/ui), two levels above this
 * file whether it runs from src/server (tests) or dist/server (the package).
 */
export const DEFAULT_UI_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/ui');

/** Paths the dashboard's files answer on; they hold no data, so they need no token (see auth.ts). */
export function isUiPath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/assets/');
}

// The app draws its charts on canvas and sets inline styles from script; it loads nothing from
// elsewhere and is never framed.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * Serves the dashboard at `/`: index.html (never cached, so a new build shows at once) and the
 * content-hashed files under /assets/ (cached for a year). Routes are made only for the files the
 * build produced (no wildcard), so every other path keeps the app's own 404. Without a build, `/`
 * says how to make one.
 */
export async function staticUiPlugin(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? DEFAULT_UI_ROOT;
  const built = fs.existsSync(path.join(root, 'index.html'));
  app.addHook('onSend', async (request, reply) => {
    if (!isUiPath(request.url.split('?', 1)[0])) return;
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><title>slipway</title>' +
            '<p>The dashboard is not built. Run <code>npm run build</code> and restart the server.</p>' +
            '<p>The API is served: <a href="/openapi.json">/openapi.json</a>.</p>',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    schemaHide: true,
    cacheControl: false,
    setHeaders(res, file) {
      res.setHeader(
        'cache-control',
        file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}
