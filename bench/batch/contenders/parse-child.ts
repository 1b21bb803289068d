/**
 * Runs one parse-only floor contender in a child process of its own and prints one JSON line.
 *
 *   npx tsx bench/batch/contenders/parse-child.ts <slipway|duckdb|csv-parse> <input.csv>
 */

import { peakRssBytes } from './measure.js';
import { parseWithCsvParse } from './parse-csv-parse.js';
import { parseWithDuckDb } from './parse-duckdb.js';
import { parseWithSlipway } from './parse-slipway.js';

const [name, file] = process.argv.slice(2);
const contenders = {
  slipway: parseWithSlipway,
  duckdb: parseWithDuckDb,
  'csv-parse': parseWithCsvParse,
} as const;
const run = contenders[name as keyof typeof contenders];
if (!run) throw new Error(`unknown parser ${name}`);
const timing = await run(file, 30);
console.log(JSON.stringify({ ...timing, maxRssBytes: peakRssBytes() }));
