/**
 * slipway's contender, run in a child process of its own so its peak resident memory is its own:
 * registers the fixture GBDT (untimed), then times `BatchJobs.predict` from the library, exactly what
 * `slipway predict` runs. Prints one JSON line.
 *
 *   npx tsx bench/batch/contenders/slipway-predict.ts <input.csv> <output> [workers] [batchSize]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBatchJobs, openSlipway } from '../../../src/index.js';
import { peakRssBytes } from './measure.js';

const [input, output, workers, batchSize] = process.argv.slice(2);
const fixtures = path.resolve(process.cwd(), '../shared/fixtures');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-batch-'));
const slipway = await openSlipway({ home });
await slipway.registry.register({
  name: 'gbdt',
  path: path.join(fixtures, 'breast_cancer_gbdt/model.onnx'),
  dataset: path.join(fixtures, 'datasets/breast_cancer_train.csv'),
  target: 'target',
});
const jobs = openBatchJobs(slipway);
const c0 = process.cpuUsage();
const t0 = performance.now();
const result = await jobs.predict({
  model: 'gbdt',
  input,
  output,
  workers: workers === undefined ? undefined : Number(workers),
  batchSize: batchSize === undefined ? undefined : Number(batchSize),
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
await jobs.close();
await slipway.close();
fs.rmSync(home, { recursive: true, force: true });
console.log(
  JSON.stringify({
    rows: result.provenance.rows.written,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssBytes: peakRssBytes(),
  }),
);
