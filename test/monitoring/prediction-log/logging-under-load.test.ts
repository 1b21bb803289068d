/**
 * The prediction log through a real server: concurrent requests on real sockets, the writer on its
 * own thread, and the count of logged rows checked against the count of predictions answered.
 */
import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { csvRows, HOLDOUT_CSV, infer, inferBody, openWithModel, serve } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const { rows } = csvRows(fs.readFileSync(HOLDOUT_CSV, 'utf8'), ['target']);

it('logs exactly the rows it answered under concurrent load, one row per input row', async () => {
  const slipway = await openWithModel();
  cleanups.push(() => slipway.close());
  const server = await serve(slipway);

  // 64 clients, each sending a mix of 1-row and 16-row requests; a few requests are invalid (400)
  // and must not be logged.
  let answeredRows = 0;
  let answeredRequests = 0;
  let failed = 0;
  const client = async (c: number) => {
    for (let i = 0; i < 25; i++) {
      const n = (c + i) % 5 === 0 ? 16 : 1;
      const start = (c * 7 + i) % (rows.length - n);
      const bad = (c + i) % 97 === 0;
      const res = await infer(
        server,
        'cancer',
        bad ? '{"inputs": []}' : inferBody(rows.slice(start, start + n)),
        `c${c}-r${i}`,
      );
      await res.arrayBuffer();
      if (res.status === 200) {
        answeredRows += n;
        answeredRequests++;
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, (_, c) => client(c)));
  expect(failed).toBeGreaterThan(0);

  // The server's own count of answered requests agrees with the client's.
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const served = [...metrics.matchAll(/slipway_requests_total\{[^}]*status="200"[^}]*\} (\d+)/g)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  expect(served).toBe(answeredRequests);

  const writer = server.predictionLog!;
  await server.close(); // graceful shutdown flushes the queue
  const stats = writer.stats();
  expect(stats).toMatchObject({
    received: answeredRows,
    written: answeredRows,
    dropped: 0,
    queued: 0,
    sampledOut: 0,
  });
  expect(await slipway.predictionLogStore.count({ model: 'cancer' })).toBe(answeredRows);

  // A 16-row request is 16 rows, named by its request id and row index, features by name.
  const logged = await slipway.monitoring.readLog({ model: 'cancer', limit: 100_000 });
  const multi = logged.filter((r) => r.requestId === 'c1-r4'); // (1 + 4) % 5 === 0: 16 rows from row 11
  expect(multi.map((r) => r.row)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  const features = multi[3].features;
  expect(Object.keys(features)).toHaveLength(30);
  expect(features.mean_radius).toBe(Math.fround(rows[11 + 3][0]));
  expect(features.worst_fractal_dimension).toBe(Math.fround(rows[11 + 3][29]));
  const outputs = multi[3].outputs;
  expect(Object.keys(outputs).sort()).toEqual(['label', 'probabilities']);
  expect(outputs.probabilities).toHaveLength(2);
  expect([0, 1]).toContain(outputs.label);
  expect(new Set(logged.map((r) => `${r.requestId}/${r.row}`)).size).toBe(answeredRows);
}, 120_000);
