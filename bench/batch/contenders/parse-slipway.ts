/**
 * Floor contender: slipway's own CSV reader (src/batch/csv-batch-reader.ts) filling the batch
 * Float32Array that batch prediction hands to the model. No model.
 */
import { CsvBatchReader } from '../../../src/batch/csv-batch-reader.js';
import { InputPlan } from '../../../src/batch/input-plan.js';
import { RowBatch } from '../../../src/batch/row-batch.js';
import type { ModelVersionRecord } from '../../../src/index.js';
import { type Timing, timed } from './measure.js';

export function parseWithSlipway(file: string, width: number, batchRows = 4096): Promise<Timing> {
  return timed(async () => {
    const reader = await CsvBatchReader.open(file);
    const record = {
      name: 'floor',
      version: 1,
      signature: { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, width] }], outputs: [] },
      metadata: { featureNames: reader.columns.slice(0, width) },
    } as unknown as ModelVersionRecord;
    const plan = new InputPlan(record, reader.columns);
    await reader.start(plan, { start: null, from: null, to: null });
    const batch = new RowBatch(plan, batchRows);
    let rows = 0;
    while (await reader.read(batch)) rows += batch.rows;
    await reader.close();
    return rows;
  });
}
