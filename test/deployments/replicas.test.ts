import { afterAll, expect, it } from 'vitest';
import { openSlipway } from '../../src/index.js';
import { api, holdoutRows, homeWithModels, infer, serve, until, v2Body } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

it('two servers on one store: a change made through either, or by a third process, is in force on both within 2 s', async () => {
  const { home, slipway: first } = await homeWithModels();
  const second = await openSlipway({ home });
  const cli = await openSlipway({ home }); // a third process's view, as `slipway deploy` has
  // The default poll interval (500 ms), as `slipway serve` runs.
  const a = await serve(first, {});
  const b = await serve(second, {});
  cleanups.push(
    () => first.close(),
    () => second.close(),
    () => cli.close(),
    () => a.close(),
    () => b.close(),
  );
  const body = v2Body(holdoutRows().rows.slice(0, 1));
  /** Milliseconds until `server` answers `name` from `revision` (and `version`). */
  const inForce = async (base: string, revision: string, version: string) => {
    const started = Date.now();
    await until(
      `revision ${revision} on ${base}`,
      async () => {
        const r = await infer(base, 'svc', body);
        return r.status === 200 && r.revision === revision && r.version === version;
      },
      10_000,
    );
    return Date.now() - started;
  };

  expect(
    (await api(a.url, 'POST', '/api/v1/deployments', { name: 'svc', model: 'cancer@champion' })).status,
  ).toBe(201);
  const created = await inForce(b.url, '1', '1');

  // A change through server A: in force on A when the call returns, on B within the poll interval.
  const canary = await api(a.url, 'POST', '/api/v1/deployments/svc/canary', {
    model: 'cancer:2',
    weight: 99,
  });
  expect(canary.status).toBe(200);
  const t0 = Date.now();
  expect((await infer(a.url, 'svc', body)).revision).toBe('2');
  const canaryOnB = await inForce(b.url, '2', '2');

  // A change by a third process that serves nothing (the CLI): both servers follow the store.
  await cli.deployments.rollback('svc', { message: 'from the CLI' });
  const rollbackOnA = await inForce(a.url, '3', '1');
  const rollbackOnB = await inForce(b.url, '3', '1');

  // An alias move elsewhere: both follow `cancer@champion` to version 2 without a new revision.
  await cli.registry.setAlias('cancer', 'champion', 2);
  const aliasOnA = await inForce(a.url, '3', '2');
  const aliasOnB = await inForce(b.url, '3', '2');

  for (const ms of [created, canaryOnB, rollbackOnA, rollbackOnB, aliasOnA, aliasOnB])
    expect(ms).toBeLessThan(2000);
  expect(Date.now() - t0).toBeLessThan(20_000);

  // Traffic counted by both servers adds up in one status, read by the third process.
  for (let i = 0; i < 30; i++) {
    await infer(a.url, 'svc', body);
    await infer(b.url, 'svc', body);
  }
  const status = await until('both servers counted', async () => {
    const s = await cli.deployments.status('svc');
    return (s.targets[0].traffic.find((t) => t.version === 2)?.requests ?? 0) >= 60 ? s : null;
  });
  expect(status.revision.revision).toBe(3);
  expect(status.targets[0].traffic.find((t) => t.version === 2)!.requests).toBeGreaterThanOrEqual(60);

  // Deleted elsewhere: both servers stop answering for it.
  await cli.deployments.delete('svc');
  for (const base of [a.url, b.url]) {
    await until('svc gone', async () => (await infer(base, 'svc', body)).status === 404, 2000);
  }
});
