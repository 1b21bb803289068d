/**
 * Parquet floors, one per child process, printing one JSON line: reading 30 float columns into the
 * batch Float32Array (hyparquet through slipway's reader, or DuckDB), and writing prediction
 * columns (INT64 label, two FLOAT probabilities) row group by row group (hyparquet-writer through
 * slipway's writer, or DuckDB's appender then COPY, which needs the whole table first).
 *
 *   npx tsx bench/batch/contenders/parquet-child.ts <read-slipway|read-duckdb|write-slipway|write-duckdb> <file> [rows]
 */
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputPlan } from '../../../src/batch/input-plan.js';
import { OutputPlan } from '../../../src/batch/output-plan.js';
import { ParquetBatchReader } from '../../../src/batch/parquet-batch-reader.js';
import { ParquetBatchWriter } from '../../../src/batch/parquet-batch-writer.js';
import { RowBatch } from '../../../src/batch/row-batch.js';
import type { ModelVersionRecord } from '../../../src/index.js';
import { peakRssBytes, type Timing, timed } from './measure.js';

const [name, file, rowsArg] = process.argv.slice(2);
const WIDTH = 30;
const BATCH = 4096;

function record(features: string[]): ModelVersionRecord {
  return {
    name: 'floor',
    version: 1,
    signature: {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, features.length] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    },
    metadata: { featureNames: features, classLabels: null },
  } as unknown as ModelVersionRecord;
}

async function readSlipway(): Promise<number> {
  const reader = await ParquetBatchReader.open(file);
  const plan = new InputPlan(record(reader.columns.slice(0, WIDTH) as string[]), reader.columns);
  await reader.start(plan, { start: null, from: null, to: null });
  const batch = new RowBatch(plan, BATCH);
  let rows = 0;
  while (await reader.read(batch)) rows += batch.rows;
  await reader.close();
  return rows;
}

async function readDuckDb(): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const result = await connection.stream(`select * from read_parquet('${file}')`);
  let rows = 0;
  const batch = new Float32Array(2048 * WIDTH);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    for (let c = 0; c < WIDTH; c++) {
      const items = (chunk.getColumnVector(c) as unknown as { items: Float64Array | Float32Array }).items;
      for (let r = 0; r < n; r++) batch[r * WIDTH + c] = items[r];
    }
    rows += n;
  }
  connection.closeSync();
  instance.closeSync();
  return rows;
}

function predictions(n: number): { label: BigInt64Array; probabilities: Float32Array } {
  const label = new BigInt64Array(n);
  const probabilities = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const p = ((i * 7919) % 1000) / 1000;
    label[i] = p > 0.5 ? 1n : 0n;
    probabilities[2 * i] = 1 - p;
    probabilities[2 * i + 1] = p;
  }
  return { label, probabilities };
}

async function writeSlipway(rows: number): Promise<number> {
  const plan = new InputPlan(record(['a']), ['a']);
  const outputPlan = OutputPlan.of(record(['a']), [], null);
  const writer = await ParquetBatchWriter.open(file, outputPlan, null, BATCH);
  const batch = new RowBatch(plan, BATCH);
  const { label, probabilities } = predictions(BATCH);
  for (let done = 0; done < rows; done += BATCH) {
    batch.rows = Math.min(BATCH, rows - done);
    await writer.write(batch, {
      label: { datatype: 'INT64', shape: [batch.rows], data: label },
      probabilities: { datatype: 'FP32', shape: [batch.rows, 2], data: probabilities },
    });
  }
  await writer.finish();
  return rows;
}

async function writeDuckDb(rows: number): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  await connection.run('create table p (label bigint, probabilities_0 float, probabilities_1 float)');
  const appender = await connection.createAppender('p');
  const { label, probabilities } = predictions(BATCH);
  for (let i = 0; i < rows; i++) {
    const k = i % BATCH;
    appender.appendBigInt(label[k]);
    appender.appendFloat(probabilities[2 * k]);
    appender.appendFloat(probabilities[2 * k + 1]);
    appender.endRow();
  }
  appender.closeSync();
  await connection.run(`copy p to '${file}' (format parquet)`);
  connection.closeSync();
  instance.closeSync();
  return rows;
}

const runs: Record<string, () => Promise<number>> = {
  'read-slipway': readSlipway,
  'read-duckdb': readDuckDb,
  'write-slipway': () => writeSlipway(Number(rowsArg)),
  'write-duckdb': () => writeDuckDb(Number(rowsArg)),
};
const run = runs[name];
if (!run) throw new Error(`unknown contender ${name}`);
const timing: Timing = await timed(run);
if (name.startsWith('write')) fs.rmSync(file, { force: true });
console.log(JSON.stringify({ ...timing, maxRssBytes: peakRssBytes() }));
