import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { SlipwayError } from '../core/errors.js';
import type { DatasetLineage } from '../store/registry-store.js';

/**
 * Reads a CSV dataset once, streaming: its sha256, header and row count. The feature names are
 * the header minus the target column, in file order (which must be the model's input order).
 */
export async function readDatasetLineage(
  file: string,
  target: string | null,
  role = 'training',
): Promise<{ lineage: DatasetLineage; featureNames: string[] }> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) {
    throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `dataset file not found: ${file}`);
  }
  const hash = createHash('sha256');
  let header: string[] | null = null;
  let rows = 0;
  const parser = parse({ relax_column_count: false, skip_empty_lines: true });
  const input = fs.createReadStream(absolute);
  input.on('data', (chunk) => hash.update(chunk));
  try {
    for await (const record of input.pipe(parser) as AsyncIterable<string[]>) {
      if (header === null) header = record;
      else rows++;
    }
  } catch (err) {
    throw new SlipwayError(
      'REGISTRY_INVALID_DATASET',
      `dataset ${file} is not a readable CSV: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!header)
    throw new SlipwayError(
      'REGISTRY_INVALID_DATASET',
      `dataset ${file} is empty: expected a CSV with a header`,
    );
  if (target !== null && !header.includes(target)) {
    throw new SlipwayError(
      'REGISTRY_INVALID_DATASET',
      `dataset ${file} has no target column "${target}": its columns are ${header.join(', ')}`,
    );
  }
  return {
    lineage: { path: absolute, sha256: hash.digest('hex'), rows, columns: header, role, target },
    featureNames: header.filter((c) => c !== target),
  };
}
