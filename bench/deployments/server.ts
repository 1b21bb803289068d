// The server under test: `slipway serve` as startServer runs it, with one model (`m`: GBDT v1,
// MLP v2) and one deployment per traffic policy in front of it. IPC: 'cpu' → process CPU time;
// {change: 'rollback' | 'promote-back'} → flips the `flip` deployment between two revisions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSlipway } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';

const [port, gbdt, mlp] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const slipway = await openSlipway({ home: fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-deploy-')) });
await slipway.registry.register({ name: 'm', path: gbdt, aliases: ['champion'] });
await slipway.registry.register({ name: 'm', path: mlp });
const d = slipway.deployments;
await d.create('single', { model: 'm@champion' });
await d.create('canary', { model: 'm@champion' });
await d.canary('canary', { model: 'm:2', weight: 10, force: true });
await d.create('ab', { model: 'm@champion' });
await d.ab('ab', { model: 'm:2', keyHeader: 'x-user', force: true });
await d.create('shadow', { model: 'm@champion' });
await d.shadow('shadow', { model: 'm:2' });
await d.create('flip', { model: 'm:1' });
await d.canary('flip', { model: 'm:2', weight: 50, force: true });
const server = await startServer(slipway, { port, host: '127.0.0.1', selection: null });
process.send?.('ready');
process.on('SIGTERM', async () => {
  await server.close();
  await slipway.close();
  process.exit(0);
});
process.on('message', async (m) => {
  if (m === 'cpu') return process.send?.({ cpu: process.cpuUsage() });
  const change = (m as { change?: string }).change;
  if (change) {
    const started = performance.now();
    // Rollback alternates between the single-version and the canary revision of `flip`.
    const r = await d.rollback('flip', { message: 'bench' });
    process.send?.({ changed: r.revision, ms: performance.now() - started });
  }
});
