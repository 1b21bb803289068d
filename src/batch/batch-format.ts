import path from 'node:path';
import { SlipwayError } from '../core/errors.js';

/** The file formats batch prediction reads and writes. */
export const BATCH_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

const EXTENSIONS: Readonly<Record<string, BatchFormat>> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export function isBatchFormat(value: unknown): value is BatchFormat {
  return typeof value === 'string' && (BATCH_FORMATS as readonly string[]).includes(value);
}

/** The format given, or the one the file name's extension says. */
export function formatOf(
  file: string,
  given: string | null | undefined,
  role: 'input' | 'output',
): BatchFormat {
  if (given !== null && given !== undefined) {
    if (isBatchFormat(given)) return given;
    throw new SlipwayError(
      'BATCH_UNSUPPORTED_FORMAT',
      `unknown ${role} format "${given}": expected one of ${BATCH_FORMATS.join(', ')}`,
    );
  }
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (format) return format;
  throw new SlipwayError(
    'BATCH_UNSUPPORTED_FORMAT',
    `cannot tell the ${role} format of "${file}" from its extension ${ext ? `"${ext}"` : '(none)'}: ` +
      `name it .csv, .jsonl (or .ndjson) or .parquet, or say --${role}-format ${BATCH_FORMATS.join('|')}` +
      (ext === '.json'
        ? ' (.json is ambiguous: batch prediction reads JSON Lines, one object per line)'
        : ''),
  );
}
