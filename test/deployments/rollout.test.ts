import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSlipway, type RevisionRecord, type RolloutRecord, type Slipway } from '../../src/index.js';
import type { RunningServer } from '../../src/server/index.js';
import {
  api,
  CANDIDATES,
  homeWithModels,
  infer,
  serve,
  splitByRadius,
  until,
  v2Body,
  webhookReceiver,
} from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

/** Sends requests with `concurrency` callers until `done()` says stop; returns status counts. */
async function drive(
  base: string,
  name: string,
  rowsFor: (i: number) => number[][],
  done: () => boolean,
  concurrency = 4,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let i = 0;
  const caller = async () => {
    while (!done()) {
      const a = await infer(base, name, v2Body(rowsFor(i++)));
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return statuses;
}

async function rolloutState(slipway: Slipway, name: string): Promise<RolloutRecord> {
  return (await slipway.deployments.rollouts(name)).at(-1)!;
}

describe('automatic rollout', () => {
  let slipway: Slipway;
  let server: RunningServer;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  const { safe, failing } = splitByRadius();

  beforeAll(async () => {
    ({ slipway } = await homeWithModels());
    await slipway.registry.register({ name: 'cancer', path: CANDIDATES.erratic, codeVersion: 'test' }); // v3
    await slipway.registry.register({ name: 'cancer', path: CANDIDATES.slow, codeVersion: 'test' }); // v4
    receiver = await webhookReceiver();
    server = await serve(slipway, {
      pollMs: 200,
      webhooks: [{ url: `${receiver.url}/json`, format: 'json' }],
    });
    cleanups.push(
      () => receiver.close(),
      () => slipway.close(),
      () => server.close(),
    );
    await slipway.deployments.create('risk', {
      model: 'cancer@champion',
      webhooks: [{ url: `${receiver.url}/slack`, format: 'slack' }],
    });
  });

  it('rolls back a candidate that errors on a share of inputs, alerts, and says why in history', async () => {
    const { rollout } = await slipway.deployments.rollout('risk', {
      model: 'cancer:3',
      steps: '20,50,100',
      hold: '60s|400req',
      message: 'erratic candidate',
    });
    expect(rollout.state).toBe('running');
    let state: RolloutRecord = rollout;
    const polling = (async () => {
      while (state.state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
        state = await rolloutState(slipway, 'risk');
      }
    })();
    // Two rows in five are ones the candidate fails on; the primary answers them all.
    const statuses = await drive(
      server.url,
      'risk',
      (i) => [i % 5 < 2 ? failing[i % failing.length] : safe[i % safe.length]],
      () => state.state !== 'running',
    );
    await polling;
    expect(state.state).toBe('rolled-back');
    expect(state.reason).toMatch(/candidate error rate .* exceeds the primary's 0\.0%/);
    expect(statuses[500]).toBeGreaterThan(0);

    const history = await slipway.deployments.history('risk');
    const last = history.at(-1)!;
    expect(last).toMatchObject({ action: 'rollback', actor: `rollout/${rollout.id}` });
    expect(last.message).toMatch(/rolled back: candidate error rate/);
    expect(last.spec.targets.map((t) => t.model)).toEqual(['cancer@champion']);

    // Back on the primary: every row answered again, by version 1.
    for (const r of failing.slice(0, 5))
      expect(await infer(server.url, 'risk', v2Body([r]))).toMatchObject({ status: 200, version: '1' });

    // The alert reached the server-wide JSON webhook and the deployment's Slack webhook.
    await until('alerts', async () => receiver.bodies.length >= 2);
    const json = receiver.bodies.find((b) => b.path === '/json')!.body as {
      kind: string;
      alert: Record<string, unknown>;
    };
    expect(json.kind).toBe('slipway.alert');
    expect(json.alert).toMatchObject({
      severity: 'critical',
      source: 'deployments',
      subject: 'deployment risk',
    });
    expect(json.alert.details).toMatchObject({
      rollout: rollout.id,
      check: 'error-rate',
      candidateVersion: 3,
    });
    const slack = receiver.bodies.find((b) => b.path === '/slack')!.body as {
      text: string;
      blocks: unknown[];
    };
    expect(slack.text).toMatch(/rolled back/);
    expect(slack.blocks.length).toBeGreaterThan(0);
  });

  it('rolls back a slow candidate on latency', async () => {
    receiver.bodies.length = 0;
    const { rollout } = await slipway.deployments.rollout('risk', {
      model: 'cancer:4',
      steps: '30,100',
      hold: '60s',
      margins: { latencyRatio: 1.5, latencySlackMs: 10 },
    });
    let state: RolloutRecord = rollout;
    const polling = (async () => {
      while (state.state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
        state = await rolloutState(slipway, 'risk');
      }
    })();
    const statuses = await drive(
      server.url,
      'risk',
      (i) => [safe[i % safe.length]],
      () => state.state !== 'running',
    );
    await polling;
    expect(statuses).toEqual({ 200: expect.any(Number) });
    expect(state.state).toBe('rolled-back');
    expect(state.reason).toMatch(/candidate p(50|99) latency .* exceeds the limit/);
    const last = (await slipway.deployments.history('risk')).at(-1)!;
    expect(last.action).toBe('rollback');
    expect(last.message).toMatch(/p(50|99) latency/);
    await until('alert', async () => receiver.bodies.some((b) => b.path === '/json'));
    const json = receiver.bodies.find((b) => b.path === '/json')!.body as {
      alert: { details: { check: string } };
    };
    expect(json.alert.details.check).toMatch(/^latency-p(50|99)$/);
  });
});

describe('rollout state', () => {
  it('survives a server restart: the new server resumes the rollout and finishes it', async () => {
    const { home, slipway: first } = await homeWithModels();
    const a = await serve(first, { pollMs: 200 });
    await first.deployments.create('svc', { model: 'cancer@champion' });
    // Margins wide enough that a busy test machine never rolls this good candidate back: the point
    // here is the state surviving the restart.
    const { rollout } = await first.deployments.rollout('svc', {
      model: 'cancer:2',
      steps: '10,50,100',
      hold: '1h|30req',
      margins: { latencyRatio: 10, latencySlackMs: 200 },
    });
    expect(rollout).toMatchObject({ stepIndex: 0, state: 'running' });
    // A few requests on the first server, then it stops (its lease is handed over on close).
    await drive(
      a.url,
      'svc',
      () => splitByRadius().safe.slice(0, 1),
      (() => {
        let n = 0;
        return () => n++ >= 20;
      })(),
      1,
    );
    await a.close();
    await first.close();

    const slipway = await openSlipway({ home });
    const b = await serve(slipway, { pollMs: 200 });
    cleanups.push(
      () => slipway.close(),
      () => b.close(),
    );
    const resumed = await rolloutState(slipway, 'svc');
    expect(resumed).toMatchObject({
      id: rollout.id,
      state: 'running',
      stepIndex: 0,
      stepRevision: rollout.stepRevision,
    });
    expect(b.deployments!.live('svc')?.revision).toBe(rollout.stepRevision);
    let state = resumed;
    const polling = (async () => {
      while (state.state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
        state = await rolloutState(slipway, 'svc');
      }
    })();
    const { safe } = splitByRadius();
    await drive(
      b.url,
      'svc',
      (i) => [safe[i % safe.length]],
      () => state.state !== 'running',
    );
    await polling;
    expect(state.state, state.reason ?? '').toBe('succeeded');
    const history: RevisionRecord[] = await slipway.deployments.history('svc');
    expect(history.map((r) => r.action)).toEqual(['create', 'rollout-step', 'rollout-step', 'promote']);
    expect(history.slice(2).every((r) => r.actor === `rollout/${rollout.id}`)).toBe(true);
    expect((await slipway.registry.getModel('cancer')).aliases.champion).toBe(2);
    expect((await infer(b.url, 'svc', v2Body(safe.slice(0, 1)))).version).toBe('2');
    const status = await api(b.url, 'GET', '/api/v1/deployments/svc');
    expect(status.json.rollout).toMatchObject({ state: 'succeeded', step: 3 });
  });
});
