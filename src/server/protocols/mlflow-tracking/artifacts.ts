import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Slipway } from '../../../index.js';
import { SlipwayError, safeArtifactPath } from '../../../index.js';
import { fieldsOf, fileInfoJson, str } from './wire.js';

// Files up to this size are read whole and checked against their sha256; bigger ones stream.
const VERIFY_LIMIT = 16 * 1024 * 1024;

/**
 * The artifact proxy (`mlflow server --serve-artifacts`, protocols.md D.9), relative to
 * `/api/2.0/mlflow-artifacts`. Paths are relative to the artifact root; `safeArtifactPath`
 * refuses traversal before anything is read or written. Uploads stream to a temporary file and
 * land atomically (RunArtifacts).
 */
export function artifactProxyRoutes(app: FastifyInstance, slipway: Slipway): void {
  const files = slipway.tracking.artifacts;

  // Any content type (the client sends a guessed MIME type, sometimes application/json): the body
  // stays a stream for the PUT handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.put('/artifacts/*', async (req) => {
    const artifactPath = safeArtifactPath(wildcard(req.params));
    await files.putStream(artifactPath, req.body as Readable);
    return {};
  });

  app.get('/artifacts/*', async (req, reply) => {
    const artifactPath = safeArtifactPath(wildcard(req.params));
    return sendEntry(slipway, reply, artifactPath);
  });

  app.get('/artifacts', async (req) => {
    const given = str(fieldsOf(req), 'path');
    const dir = given ? safeArtifactPath(given) : '';
    const listed = await files.list(dir);
    return listed.length > 0 ? { files: listed.map(fileInfoJson) } : {};
  });

  app.delete('/artifacts/*', async (req) => {
    const artifactPath = safeArtifactPath(wildcard(req.params));
    await files.delete(artifactPath);
    return {};
  });

  // Multipart uploads need object storage with presigned part URLs. The client recognises this
  // exact message (NOT_IMPLEMENTED) and falls back to one PUT per file.
  for (const step of ['create', 'complete', 'abort']) {
    app.post(`/mpu/${step}/*`, async (req) => {
      safeArtifactPath(wildcard(req.params));
      throw new SlipwayError(
        'TRACKING_NOT_IMPLEMENTED',
        'Multipart upload is not supported for the current artifact repository',
      );
    });
  }
}

/** Sends the file `relative` below an artifact URI (run or logged model root). */
export async function sendArtifact(slipway: Slipway, reply: FastifyReply, rootUri: string, relative: string) {
  const root = rootUri.replace(/^mlflow-artifacts:(\/\/[^/]*)?\/*/, '');
  if (root === rootUri) {
    throw new SlipwayError(
      'TRACKING_ARTIFACT_NOT_FOUND',
      `Artifacts of ${rootUri} are not stored by slipway`,
    );
  }
  return sendEntry(
    slipway,
    reply,
    [safeArtifactPath(root), safeArtifactPath(relative)].filter(Boolean).join('/'),
  );
}

async function sendEntry(slipway: Slipway, reply: FastifyReply, artifactPath: string) {
  const files = slipway.tracking.artifacts;
  const entry = await files.get(artifactPath);
  const name = path.posix.basename(artifactPath);
  // As MLflow: always an attachment, never rendered by a browser on our origin.
  reply
    .header('Content-Disposition', `attachment; filename=${name}`)
    .header('X-Content-Type-Options', 'nosniff')
    .type(mimeTypeOf(name));
  if (entry.size <= VERIFY_LIMIT) return reply.send(Buffer.from(await files.read(entry)));
  return reply.send(fs.createReadStream(await files.localPath(entry)));
}

function wildcard(params: unknown): string {
  return ((params as Record<string, string>)['*'] ?? '').toString();
}

const MIME: Record<string, string> = {
  '.json': 'application/json',
  '.yaml': 'text/plain',
  '.yml': 'text/plain',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
};

function mimeTypeOf(name: string): string {
  return MIME[path.posix.extname(name).toLowerCase()] ?? 'application/octet-stream';
}
