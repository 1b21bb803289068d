// Contender (a): slipway itself — a registered model served by `startServer`, as `slipway serve` runs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSlipway } from '../../../src/index.js';
import { startServer } from '../../../src/server/index.js';

const [port, modelPath] = [Number(process.argv[2]), process.argv[3]];
const slipway = await openSlipway({ home: fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-')) });
await slipway.registry.register({ name: 'm', path: modelPath });
const server = await startServer(slipway, { port, host: '127.0.0.1', selection: null });
process.send?.('ready');
process.on('SIGTERM', async () => {
  await server.close();
  await slipway.close();
  process.exit(0);
});
// cpu-usage: the runner asks for CPU time around each measured run: server CPU per request is the figure
// that stays steady on a shared machine.
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
