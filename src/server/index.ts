import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createServing, type ModelRepository, type Slipway } from '../index.js';
import { createApp } from './app.js';
import type { ServingContext } from './serving-context.js';

export interface ServerOptions {
  port: number;
  host: string;
  /** Model references to serve; null serves every registered model. */
  selection: string[] | null;
  workers?: number;
  requestTimeoutMs?: number;
  token?: string | null;
  logger?: FastifyServerOptions['logger'];
  plugins?: ((app: FastifyInstance, ctx: ServingContext) => Promise<void>)[];
}

export interface RunningServer {
  app: FastifyInstance;
  repository: ModelRepository;
  url: string;
  version: string;
  /** Stops accepting, drains in-flight requests, then unloads models. The store stays open. */
  close(): Promise<void>;
}

/** Loads the served models, builds the app and listens; resolves once the server is ready. */
export async function startServer(slipway: Slipway, options: ServerOptions): Promise<RunningServer> {
  const serving = await createServing(slipway, { selection: options.selection, workers: options.workers });
  try {
    const { app, ctx } = await createApp({
      slipway,
      repository: serving.repository,
      token: options.token ?? null,
      requestTimeoutMs: options.requestTimeoutMs,
      defaultModel: options.selection?.[0]?.split(/[:@]/)[0] ?? null,
      logger: options.logger ?? false,
      plugins: options.plugins,
    });
    await app.listen({ port: options.port, host: options.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return {
      app,
      repository: serving.repository,
      url: `http://${host}:${port}`,
      version: ctx.version,
      async close() {
        ctx.draining = true;
        await app.close();
        await serving.close();
      },
    };
  } catch (err) {
    await serving.close();
    throw err;
  }
}

export { createApp };
