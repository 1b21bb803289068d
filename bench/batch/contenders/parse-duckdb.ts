/**
 * Floor contender: DuckDB's CSV reader (multi-threaded, native) through @duckdb/node-api, streaming
 * result chunks of FLOAT columns and copying them row-major into a Float32Array batch, as batch
 * prediction would need it. No model. Column vectors are read through their backing Float32Array
 * (`items`, not public API) because `getItem` per value would measure the binding, not DuckDB.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { type Timing, timed } from './measure.js';

export function parseWithDuckDb(file: string, width: number, threads = 2): Promise<Timing> {
  return timed(async () => {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
    const connection = await instance.connect();
    const columns = Array.from({ length: width }, (_, i) => `column${String(i).padStart(2, '0')}`);
    const types = Object.fromEntries(columns.map((c) => [c, 'FLOAT']));
    const sql = `select * from read_csv('${file.replaceAll("'", "''")}', header = true, columns = ${sqlStruct(types)})`;
    const result = await connection.stream(sql);
    let rows = 0;
    let batch = new Float32Array(0);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      if (batch.length < n * width) batch = new Float32Array(n * width);
      for (let c = 0; c < width; c++) {
        const items = (chunk.getColumnVector(c) as unknown as { items: Float32Array }).items;
        for (let r = 0; r < n; r++) batch[r * width + c] = items[r];
      }
      rows += n;
    }
    connection.closeSync();
    instance.closeSync();
    return rows;
  });
}

function sqlStruct(types: Record<string, string>): string {
  return `{${Object.entries(types)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ')}}`;
}
