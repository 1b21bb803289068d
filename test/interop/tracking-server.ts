import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { openSlipway, type Slipway } from '../../src/index.js';
import { mlflowTrackingPlugin } from '../../src/server/protocols/mlflow-tracking.js';

export interface TrackingServer {
  slipway: Slipway;
  app: FastifyInstance;
  url: string;
  home: string;
  close(): Promise<void>;
}

/**
 * slipway with only the MLflow tracking plugin, on a random loopback port, over a fresh home.
 * (The full app with inference lives in src/server/app.ts; this keeps the interop suite free of
 * worker threads.)
 */
export async function startTrackingServer(
  options: { home?: string; logger?: boolean; trace?: (line: string) => void } = {},
): Promise<TrackingServer> {
  const ownHome = options.home === undefined;
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-tracking-'));
  const slipway = await openSlipway({ home });
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 256 * 1024 * 1024 });
  const trace = options.trace;
  if (trace) {
    app.addHook('onResponse', async (req, reply) =>
      trace(`${req.method} ${req.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`),
    );
  }
  await app.register(mlflowTrackingPlugin, { slipway });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return {
    slipway,
    app,
    url: `http://127.0.0.1:${address.port}`,
    home,
    async close() {
      await app.close();
      await slipway.close();
      if (ownHome) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
