/** The prediction log, with its labels, exported to Parquet and read back with hyparquet. */
import fs from 'node:fs';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Slipway } from '../../../src/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { tempHome } from '../../helpers/fixtures.js';
import {
  csvRows,
  DAY,
  HOLDOUT_CSV,
  infer,
  inferBody,
  ManualClock,
  openWithModel,
  serve,
} from '../helpers.js';

const clock = new ManualClock();
let slipway: Slipway;
let server: RunningServer;
const { rows } = csvRows(fs.readFileSync(HOLDOUT_CSV, 'utf8'), ['target']);

beforeAll(async () => {
  slipway = await openWithModel({ clock });
  server = await serve(slipway);
  for (let i = 0; i < 40; i++) {
    const res = await infer(
      server,
      'cancer',
      inferBody(rows.slice(i * 3, i * 3 + 3), { prediction_key: `k${i}` }),
      `e${i}`,
    );
    expect(res.status).toBe(200);
  }
  await server.predictionLog!.flush();
  clock.advance(DAY);
  await slipway.monitoring.feedback([{ request_id: 'e5', row: 1, label: 1 }]);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await slipway?.close();
});

async function read(file: string) {
  const buf = fs.readFileSync(file);
  return parquetReadObjects({
    file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
  });
}

it('round-trips every logged row, its label and its features', async () => {
  const out = path.join(tempHome(), 'log.parquet');
  const result = await slipway.monitoring.exportLog({ out, since: '7d' });
  expect(result).toMatchObject({ rows: 120, file: out });
  const back = await read(out);
  const logged = await slipway.monitoring.readLog({});
  expect(back).toHaveLength(logged.length);
  back.forEach((r, i) => {
    const l = logged[i];
    expect(r).toMatchObject({
      id: BigInt(l.id),
      request_id: l.requestId,
      row: l.row,
      prediction_key: l.predictionKey,
      model: 'cancer',
      version: 1,
      deployment: null,
      protocol: 'v2',
      latency_ms: l.latencyMs,
      label: l.label === null ? null : JSON.stringify(l.label),
    });
    expect((r.at as Date).getTime()).toBe(l.at);
    expect(JSON.parse(r.features as string)).toEqual(l.features);
    expect(JSON.parse(r.outputs as string)).toEqual(l.outputs);
  });
  const labelled = back.filter((r) => r.label !== null);
  expect(labelled.map((r) => [r.request_id, r.row, r.label, (r.labelled_at as Date).getTime()])).toEqual([
    ['e5', 1, '1', clock.now()],
  ]);
  expect(fs.readdirSync(path.dirname(out))).toEqual(['log.parquet']); // no temporary file left
});

it("flattens one model version's features and scalar outputs into typed columns", async () => {
  const out = path.join(tempHome(), 'cancer.parquet');
  const result = await slipway.monitoring.exportLog({ out, model: 'cancer:1', last: 6 });
  expect(result.rows).toBe(6);
  const back = await read(out);
  expect(back.map((r) => r.request_id)).toEqual(['e38', 'e38', 'e38', 'e39', 'e39', 'e39']);
  expect(back[0]['feature.mean_radius']).toBe(Math.fround(rows[38 * 3][0]));
  expect(back[5]['feature.worst_fractal_dimension']).toBe(Math.fround(rows[39 * 3 + 2][29]));
  expect([0, 1]).toContain(back[0]['output.label']);
  // Over a window with nothing in it: a valid, empty file.
  const empty = await slipway.monitoring.exportLog({
    out: path.join(tempHome(), 'empty.parquet'),
    from: 0,
    until: 1,
  });
  expect(empty.rows).toBe(0);
  expect(await read(empty.file)).toEqual([]);
});
