import autocannon from 'autocannon';
import { afterAll, expect, it } from 'vitest';
import type { Slipway } from '../../src/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { api, holdoutRows, homeWithModels, infer, serve, v2Body } from './helpers.js';

let slipway: Slipway;
let server: RunningServer;
afterAll(async () => {
  await server?.close();
  await slipway?.close();
});

it('switches revisions under 64-connection load without failing a request or mixing versions', async () => {
  ({ slipway } = await homeWithModels());
  server = await serve(slipway);
  const base = server.url;
  const body = v2Body(holdoutRows().rows.slice(0, 2));
  // What each version answers to this request: a response must match its own version's answer exactly.
  const expected: Record<string, string> = {};
  for (const v of ['1', '2'])
    expected[v] = JSON.stringify((await infer(base, `cancer/versions/${v}`, body)).body.outputs);
  expect(expected['1']).not.toBe(expected['2']);
  expect(
    (await api(base, 'POST', '/api/v1/deployments', { name: 'live', model: 'cancer@champion' })).status,
  ).toBe(201);

  /** revision → the versions it may answer with (the API tells us as each one is made). */
  const allowed = new Map<string, Set<string>>([['1', new Set(['1'])]]);
  const record = (r: { json: Record<string, unknown> }) => {
    const rev = (typeof r.json.revision === 'object' ? r.json.revision : r.json) as {
      revision: number;
      targets: { role: string; version: number }[];
    };
    allowed.set(
      String(rev.revision),
      new Set(rev.targets.filter((t) => t.role !== 'shadow').map((t) => String(t.version))),
    );
  };
  const violations: string[] = [];
  const versions: Record<string, number> = {};
  const load = autocannon({
    url: `${base}/v2/models/live/infer`,
    connections: 64,
    duration: 5,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    requests: [
      {
        onResponse: (status, text, _context, headers) => {
          const h = headers as Record<string, string>;
          const version = h['x-model-version'];
          const revision = h['x-deployment-revision'];
          versions[version] = (versions[version] ?? 0) + 1;
          if (status !== 200) return void violations.push(`status ${status}: ${text.slice(0, 200)}`);
          const json = JSON.parse(text);
          if (json.model_version !== version)
            violations.push(`body says ${json.model_version}, header ${version}`);
          if (JSON.stringify(json.outputs) !== expected[version])
            violations.push(`outputs are not version ${version}'s`);
          // Checked after the run: the API call that made a revision may return after its first answers.
          if (violations.length < 5 && revision === undefined) violations.push('no x-deployment-revision');
          pairs.push(`${revision}:${version}`);
        },
      },
    ],
  });
  const pairs: string[] = [];
  const changes: string[] = [];
  const change = async (what: string, method: string, url: string, payload: unknown) => {
    await new Promise((r) => setTimeout(r, 700));
    const res = await api(base, method, url, payload);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    record(res);
    changes.push(what);
  };
  await change('canary', 'POST', '/api/v1/deployments/live/canary', { model: 'cancer:2', weight: 50 });
  await change('promote', 'POST', '/api/v1/deployments/live/promote', { message: 'GBDT wins' });
  await change('rollback', 'POST', '/api/v1/deployments/live/rollback', { message: 'back to the MLP' });
  await change('rollback to the promotion', 'POST', '/api/v1/deployments/live/rollback', { to: 3 });
  await change('rollback', 'POST', '/api/v1/deployments/live/rollback', {});
  const result = await load;

  expect(changes).toHaveLength(5);
  expect(violations.slice(0, 5)).toEqual([]);
  expect(result.errors + result.timeouts + result.non2xx).toBe(0);
  expect(result.requests.total).toBeGreaterThan(1000);
  // Every answer came from a version its revision routes to.
  const wrong = pairs.filter((p) => {
    const [rev, v] = p.split(':');
    return !allowed.get(rev)?.has(v);
  });
  expect(wrong.slice(0, 5)).toEqual([]);
  expect(Object.keys(versions).sort()).toEqual(['1', '2']);
  const history = await api(base, 'GET', '/api/v1/deployments/live/revisions');
  expect((history.json.revisions as { action: string }[]).map((r) => r.action)).toEqual([
    'create',
    'canary',
    'promote',
    'rollback',
    'rollback',
    'rollback',
  ]);
  // The last rollback returned to the MLP and moved the champion back with it.
  expect((await slipway.registry.getModel('cancer')).aliases.champion).toBe(1);
  const last = await infer(base, 'live', body);
  expect(last.version).toBe('1');
});
