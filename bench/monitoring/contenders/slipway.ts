// A contender: slipway serving one registered model with `startServer`, as `slipway serve` runs it,
// with the prediction log off (`nolog`), on (`log`), or on with feedback in use (`log+feedback`). Scheduled evaluation is off in both, so the
// only difference is the prediction log.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSlipway } from '../../../src/index.js';
import { startServer } from '../../../src/server/index.js';

const [port, modelPath, mode] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const slipway = await openSlipway({
  home: fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-monitoring-')),
});
await slipway.registry.register({ name: 'm', path: modelPath });
const server = await startServer(slipway, {
  port,
  host: '127.0.0.1',
  selection: null,
  monitoring: mode === 'nolog' ? false : { scheduler: false },
});
// Feedback in use: one feedback call builds the request-id lookup, which the writer thread then
// keeps current (every 50,000 rows or 5 s) while serving.
if (mode === 'log+feedback') await slipway.monitoring.feedback({ request_id: 'not-logged', label: 1 });
process.send?.('ready');
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('SIGTERM', async () => {
  const writer = server.predictionLog;
  // Graceful shutdown: drain requests, then write everything the log still holds.
  await server.close();
  const logged = await slipway.predictionLogStore.count({});
  process.send?.({ final: { stats: writer?.stats() ?? null, logged } }, () => {
    void slipway.close().then(() => process.exit(0));
  });
});
