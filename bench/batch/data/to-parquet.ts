/**
 * The Parquet copy of a bench CSV (DuckDB's COPY, SNAPPY, DOUBLE columns, DuckDB's default row
 * groups), for the Parquet contenders.
 *
 *   npx tsx bench/batch/data/to-parquet.ts <input.csv> <output.parquet>
 */
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(`copy (select * from read_csv('${input}', header = true)) to '${output}.tmp' (format parquet)`);
connection.closeSync();
instance.closeSync();
fs.renameSync(`${output}.tmp`, output);
console.log(JSON.stringify({ rows: 0, wallMs: 0, cpuMs: 0, maxRssBytes: 0 }));
