import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import {
  createServing,
  type DeploymentRouter,
  type ModelRepository,
  type MonitoringConfigOptions,
  type PredictionLogWriter,
  resolveMonitoringConfig,
  type ServingOptions,
  type Slipway,
} from '../index.js';
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
  /** Recorded as who made deployment changes through this server. */
  tokenName?: string | null;
  logger?: FastifyServerOptions['logger'];
  /** Deployment routing options (poll interval, alert webhooks...); false for none. */
  deployments?: ServingOptions['deployments'];
  plugins?: ((app: FastifyInstance, ctx: ServingContext) => Promise<void>)[];
  /** Prediction log and scheduled evaluation (defaults from SLIPWAY_PREDICTION_LOG*, SLIPWAY_MONITOR_*); false for neither. */
  monitoring?: MonitoringConfigOptions | false;
}

export interface RunningServer {
  app: FastifyInstance;
  repository: ModelRepository;
  deployments: DeploymentRouter | null;
  url: string;
  version: string;
  /** The prediction log writer serving hands its answers to, or null when logging is off. */
  predictionLog: PredictionLogWriter | null;
  /** Stops accepting, drains in-flight requests, then unloads models. The store stays open. */
  close(): Promise<void>;
}

/** Loads the served models, builds the app and listens; resolves once the server is ready. */
export async function startServer(slipway: Slipway, options: ServerOptions): Promise<RunningServer> {
  const serving = await createServing(slipway, {
    selection: options.selection,
    workers: options.workers,
    deployments: options.deployments,
  });
  const monitoring = resolveMonitoringConfig(options.monitoring);
  let log: (msg: string, err: unknown) => void = () => {};
  const predictionLog =
    monitoring.log === false
      ? null
      : slipway.monitoring.createPredictionLog({
          onError: (err, rows) => log(`prediction log: writing ${rows} rows failed (kept, retrying)`, err),
          ...monitoring.log,
        });
  const scheduler =
    monitoring.scheduler === false
      ? null
      : slipway.monitoring.createScheduler({
          onRun: (run) => {
            if (run.error) log('monitoring evaluation failed', run.error);
            for (const e of run.evaluated) if (e.error) log(`monitoring ${e.model}:${e.version}`, e.error);
          },
          ...monitoring.scheduler,
        });
  try {
    const { app, ctx } = await createApp({
      slipway,
      predictions: predictionLog,
      repository: serving.repository,
      token: options.token ?? null,
      tokenName: options.tokenName ?? null,
      deployments: serving.deployments,
      requestTimeoutMs: options.requestTimeoutMs,
      defaultModel: options.selection?.[0]?.split(/[:@]/)[0] ?? null,
      logger: options.logger ?? false,
      plugins: options.plugins,
    });
    log = (msg, err) => app.log.warn({ err }, msg);
    await app.listen({ port: options.port, host: options.host });
    scheduler?.start();
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return {
      app,
      repository: serving.repository,
      deployments: serving.deployments,
      url: `http://${host}:${port}`,
      version: ctx.version,
      predictionLog,
      async close() {
        ctx.draining = true;
        await app.close();
        // Every answered request has been handed to the log by now: write all of it.
        await predictionLog?.close();
        await scheduler?.close();
        await serving.close();
      },
    };
  } catch (err) {
    await predictionLog?.close();
    await scheduler?.close();
    await serving.close();
    throw err;
  }
}

export { createApp };
