/**
 * Reads a CSV dataset (a reference, or a current window given as a file) into columns, streaming,
 * and hashes it on the way: a column whose every non-empty cell is a number is numeric
 * (Float64Array, empty = NaN); any other is categorical (strings, empty = null).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { SlipwayError } from '../../core/errors.js';
import type { RawColumn } from '../profile/dataset-profile.js';

export interface DatasetColumns {
  path: string;
  sha256: string;
  rows: number;
  header: string[];
  columns: Record<string, RawColumn>;
}

export async function readDatasetColumns(file: string): Promise<DatasetColumns> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) {
    throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `dataset file not found: ${file}`);
  }
  const hash = createHash('sha256');
  const input = fs.createReadStream(absolute);
  input.on('data', (chunk) => hash.update(chunk));
  let header: string[] | null = null;
  let numbers: (number[] | null)[] = [];
  let texts: ((string | null)[] | null)[] = [];
  let rows = 0;
  try {
    for await (const record of input.pipe(parse({ skip_empty_lines: true })) as AsyncIterable<string[]>) {
      if (header === null) {
        header = record;
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup !== undefined) {
          throw new SlipwayError(
            'MONITORING_REFERENCE_MISMATCH',
            `dataset ${file} has the column "${dup}" twice`,
          );
        }
        numbers = header.map(() => []);
        texts = header.map(() => null);
        continue;
      }
      for (let c = 0; c < header.length; c++) {
        const cell = record[c] ?? '';
        const nums = numbers[c];
        if (nums !== null) {
          const x = cell === '' ? Number.NaN : Number(cell);
          if (cell === '' || Number.isFinite(x) || /^[+-]?(inf|infinity|nan)$/i.test(cell)) {
            nums.push(cell === '' ? Number.NaN : Number.isNaN(x) ? parseSpecial(cell) : x);
            continue;
          }
          // The first text cell: this column is categorical after all.
          texts[c] = nums.map((v) => (Number.isNaN(v) ? null : String(v)));
          numbers[c] = null;
        }
        texts[c]!.push(cell === '' ? null : cell);
      }
      rows++;
    }
  } catch (err) {
    if (err instanceof SlipwayError) throw err;
    throw new SlipwayError(
      'MONITORING_REFERENCE_MISMATCH',
      `dataset ${file} is not a readable CSV: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (header === null) {
    throw new SlipwayError(
      'MONITORING_REFERENCE_MISMATCH',
      `dataset ${file} is empty: expected a CSV with a header`,
    );
  }
  const columns: Record<string, RawColumn> = {};
  header.forEach((name, c) => {
    columns[name] = numbers[c] !== null ? Float64Array.from(numbers[c]!) : texts[c]!;
  });
  return { path: absolute, sha256: hash.digest('hex'), rows, header, columns };
}

function parseSpecial(cell: string): number {
  const t = cell.toLowerCase().replace(/^\+/, '');
  if (t === 'inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}
