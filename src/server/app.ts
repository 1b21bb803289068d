import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { DeploymentRouter, ModelRepository, PredictionSink, Slipway } from '../index.js';
import { slipwayVersion } from '../index.js';
import { authHook, createAuthenticator } from './auth.js';
import { normaliseError } from './error-mapping.js';
import { createFastInferServer } from './fast-infer-path.js';
import { ServerMetrics } from './metrics.js';
import { dashboardApiPlugin } from './protocols/dashboard-api.js';
import { deploymentsPlugin } from './protocols/deployments.js';
import { jobsPlugin } from './protocols/jobs.js';
import { mlflowScoringPlugin } from './protocols/mlflow-scoring.js';
import { mlflowTrackingPlugin } from './protocols/mlflow-tracking.js';
import { monitoringPlugin } from './protocols/monitoring.js';
import { nativePlugin } from './protocols/native.js';
import { v2Plugin } from './protocols/v2.js';
import type { ServingContext } from './serving-context.js';
import { staticUiPlugin } from './static-ui.js';

export interface AppOptions {
  slipway: Slipway;
  repository: ModelRepository;
  /** Bearer token every route but the health probes requires; null leaves the server open. */
  token?: string | null;
  requestTimeoutMs?: number;
  defaultModel?: string | null;
  /** pino options for the server log; false for none (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Where answered predictions go (the prediction log); none when null. */
  predictions?: PredictionSink | null;
  /** Routes deployment names (`createServing(...).deployments`); none when null. */
  deployments?: DeploymentRouter | null;
  /** The token's name, recorded as who made changes through this server (default `token`, or `local` without one). */
  tokenName?: string | null;
  /** Extra protocol plugins mounted beside the built-in ones (tracking, deployments...). */
  plugins?: ((app: FastifyInstance, ctx: ServingContext) => Promise<void>)[];
}

/**
 * Builds the HTTP server: one fastify app, one encapsulated plugin per protocol (each with its
 * own error body), authentication decided once in a root hook, a request id on every answer.
 */
export async function createApp(options: AppOptions): Promise<{ app: FastifyInstance; ctx: ServingContext }> {
  const ctx: ServingContext = {
    slipway: options.slipway,
    repository: options.repository,
    metrics: new ServerMetrics(),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    defaultModel: options.defaultModel ?? null,
    version: slipwayVersion(),
    draining: false,
    predictions: options.predictions ?? null,
    deployments: options.deployments ?? null,
    identity: options.token ? (options.tokenName ?? 'token') : 'local',
  };
  const authenticate = createAuthenticator(options.token ?? null);
  const bodyLimit = 256 * 1024 * 1024;
  let appRef: FastifyInstance | null = null;
  const app = Fastify({
    // The V2 infer route is answered before fastify sees it (fast-infer-path.ts).
    serverFactory: (handler) =>
      createFastInferServer(ctx, authenticate, () => appRef!.log, bodyLimit, handler as http.RequestListener),
    logger: options.logger ?? false,
    // Per-request log lines cost ~10% of throughput at 10k req/s; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  appRef = app;

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While draining, close each keep-alive connection after its answer: an idle keep-alive socket
    // would otherwise hold app.close() open until its timeout.
    if (ctx.draining) reply.header('connection', 'close');
  });
  if (authenticate) app.addHook('onRequest', authHook(authenticate));
  // Errors raised outside any protocol plugin (auth on unknown routes, 404s) use the V2 body.
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?', 1)[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'slipway', version: ctx.version, description: 'Model registry, serving and MLOps API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: options.token ? [{ bearer: [] }] : [],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/metrics',
    { schema: { tags: ['observability'], summary: 'Prometheus metrics' } },
    async (_req, reply) =>
      reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );

  await app.register(async (child) => v2Plugin(child, ctx));
  await app.register(async (child) => mlflowScoringPlugin(child, ctx));
  await app.register(async (child) => nativePlugin(child, ctx));
  await app.register(async (child) => monitoringPlugin(child, ctx));
  await app.register(async (child) => mlflowTrackingPlugin(child, { slipway: ctx.slipway }));
  await app.register(async (child) => jobsPlugin(child, ctx));
  await app.register(async (child) => deploymentsPlugin(child, ctx));
  await app.register(async (child) => dashboardApiPlugin(child, ctx));
  await app.register(async (child) => staticUiPlugin(child));
  for (const plugin of options.plugins ?? []) await app.register(async (child) => plugin(child, ctx));
  await app.ready();
  return { app, ctx };
}
