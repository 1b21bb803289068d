import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { openSlipway } from '../../../src/index.js';
import { mlflowTrackingPlugin } from '../../../src/server/protocols/mlflow-tracking.js';
import type { Contender } from './contender.js';

/** slipway's MLflow tracking API on the embedded default store (SQLite + filesystem), one process. */
export const slipway: Contender = {
  name: 'slipway',
  async start() {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tracking-slipway-'));
    const s = await openSlipway({ home });
    const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024 });
    await app.register(mlflowTrackingPlugin, { slipway: s });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return {
      url: `http://127.0.0.1:${address.port}`,
      async stop() {
        await app.close();
        await s.close();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
  },
};
