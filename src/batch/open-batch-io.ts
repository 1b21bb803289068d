import fs from 'node:fs/promises';
import { SlipwayError } from '../core/errors.js';
import type { BatchFormat } from './batch-format.js';
import type { BatchReader } from './batch-reader.js';
import type { BatchWriter, WriterState } from './batch-writer.js';
import { CsvBatchReader } from './csv-batch-reader.js';
import { CsvBatchWriter } from './csv-batch-writer.js';
import { JsonlBatchReader } from './jsonl-batch-reader.js';
import { JsonlBatchWriter } from './jsonl-batch-writer.js';
import type { OutputPlan } from './output-plan.js';
import { ParquetBatchReader } from './parquet-batch-reader.js';
import { ParquetBatchWriter } from './parquet-batch-writer.js';

export interface ReaderOptions {
  /** CSV only. */
  delimiter?: string;
}

/** Opens `file` as `format` and reads its column names. */
export async function openBatchReader(
  file: string,
  format: BatchFormat,
  options: ReaderOptions = {},
): Promise<BatchReader> {
  const stat = await fs.stat(file).catch(() => null);
  if (stat === null || !stat.isFile()) {
    throw new SlipwayError(
      'ARTIFACTS_FILE_NOT_FOUND',
      `input file "${file}" does not exist or is not a file`,
      {
        path: file,
      },
    );
  }
  switch (format) {
    case 'csv':
      return CsvBatchReader.open(file, { delimiter: options.delimiter });
    case 'jsonl':
      return JsonlBatchReader.open(file);
    case 'parquet':
      return ParquetBatchReader.open(file);
  }
}

/** Opens the output (fresh, or cut back to a checkpoint's state for `--resume`). */
export function openBatchWriter(
  file: string,
  format: BatchFormat,
  plan: OutputPlan,
  resume: WriterState | null,
  reader: BatchReader,
  batchCapacity: number,
): Promise<BatchWriter> {
  switch (format) {
    case 'csv':
      return CsvBatchWriter.open(file, plan, resume);
    case 'jsonl':
      return JsonlBatchWriter.open(file, plan, resume);
    case 'parquet': {
      const schema =
        reader instanceof ParquetBatchReader
          ? new Map(
              plan.passthrough.flatMap((name) => {
                const element = reader.schemaOf(name);
                return element ? [[name, element] as const] : [];
              }),
            )
          : null;
      return ParquetBatchWriter.open(file, plan, resume, batchCapacity, { passthroughSchema: schema });
    }
  }
}
