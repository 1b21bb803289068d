import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldKey } from '../../src/deployments/compiled-revision.js';
import { type NewRevision, openSlipway, type Slipway, type SlipwayError } from '../../src/index.js';
import { fixtureModelPath, tempHome } from '../helpers/fixtures.js';

let slipway: Slipway;
beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome() });
  await slipway.registry.register({
    name: 'm',
    path: fixtureModelPath('breast_cancer_mlp'),
    codeVersion: 'test',
  });
});
afterAll(async () => {
  await slipway?.close();
});

const rev = (action: string, at = 1): NewRevision => ({
  at,
  actor: 'local',
  action,
  message: null,
  spec: { policy: 'single', targets: [{ model: 'm:1', role: 'primary', weight: 100 }], abKey: null },
  resolved: { 'm:1': 1 },
  details: {},
});

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return (err as SlipwayError).code;
  }
  return 'no error';
};

describe('DeploymentStore (SQLite)', () => {
  it('shares one namespace with models and numbers revisions without gaps', async () => {
    const store = slipway.deploymentStore;
    expect(
      await code(
        store.createDeployment({
          name: 'm',
          at: 1,
          config: { gates: null, webhooks: [] },
          revision: rev('create'),
        }),
      ),
    ).toBe('DEPLOYMENTS_EXISTS');
    const { deployment, revision } = await store.createDeployment({
      name: 'd',
      at: 1,
      config: { gates: null, webhooks: [] },
      revision: rev('create'),
    });
    expect([deployment.liveRevision, revision.revision]).toEqual([1, 1]);
    expect(
      await code(
        store.createDeployment({
          name: 'd',
          at: 1,
          config: { gates: null, webhooks: [] },
          revision: rev('create'),
        }),
      ),
    ).toBe('DEPLOYMENTS_EXISTS');
    const r2 = await store.appendRevision('d', rev('canary', 2), { expectLive: 1 });
    expect(r2.revision).toBe(2);
    expect(r2.seq).toBeGreaterThan(revision.seq);
    // A writer that decided on revision 1 loses: nothing is written.
    expect(await code(store.appendRevision('d', rev('promote', 3), { expectLive: 1 }))).toBe(
      'DEPLOYMENTS_CONFLICT',
    );
    expect((await store.listRevisions('d')).map((r) => r.revision)).toEqual([1, 2]);
    expect(await store.liveRevisions()).toEqual([{ name: 'd', liveRevision: 2, updatedAt: 2 }]);
    expect(await code(store.appendRevision('nope', rev('x')))).toBe('DEPLOYMENTS_NOT_FOUND');
  });

  it('leases a rollout to one owner at a time, and starts at most one per deployment', async () => {
    const store = slipway.deploymentStore;
    const spec = {
      candidate: 'm:1',
      candidateVersion: 1,
      steps: [50, 100],
      hold: { ms: 1000, requests: null },
      margins: {
        minRequests: 1,
        errorRate: 0,
        clientErrorRate: 0,
        latencyRatio: 1,
        latencySlackMs: 0,
        quality: 0,
      },
    };
    const { rollout, revision } = await store.startRollout(
      'd',
      { spec, at: 5, actor: 'local', baseRevision: 2 },
      rev('rollout-step', 5),
    );
    expect(rollout).toMatchObject({
      state: 'running',
      stepIndex: 0,
      stepRevision: revision.revision,
      baseRevision: 2,
    });
    expect(revision.details).toMatchObject({ rollout: rollout.id, step: 0 });
    expect(
      await code(
        store.startRollout('d', { spec, at: 6, actor: 'local', baseRevision: 3 }, rev('rollout-step', 6)),
      ),
    ).toBe('DEPLOYMENTS_INVALID_STATE');
    expect(await store.leaseRollout(rollout.id, 'p1', 100, 10)).toBe(true);
    expect(await store.leaseRollout(rollout.id, 'p2', 200, 50)).toBe(false);
    expect(await store.leaseRollout(rollout.id, 'p1', 150, 60)).toBe(true);
    expect(await store.leaseRollout(rollout.id, 'p2', 300, 151)).toBe(true); // p1's lease ran out
  });

  it('replaces statistics rows instead of adding them (a replayed flush never double counts)', async () => {
    const row = {
      deployment: 'd',
      revision: 2,
      process: 'p1',
      model: 'm',
      version: 1,
      role: 'primary' as const,
      requests: 10,
      errors: 1,
      clientErrors: 0,
      latency: { 100: 10 },
      shadow: null,
      updatedAt: 1,
    };
    await slipway.deploymentStore.upsertStats([row, { ...row, process: 'p2', requests: 5 }]);
    await slipway.deploymentStore.upsertStats([{ ...row, requests: 12 }]);
    const rows = await slipway.deploymentStore.readStats('d', 2);
    expect(rows.map((r) => [r.process, r.requests]).sort()).toEqual([
      ['p1', 12],
      ['p2', 5],
    ]);
  });
});

describe('A/B keys from request bodies', () => {
  it('reads V2 parameters and inputs, and the MLflow formats, first row', () => {
    expect(fieldKey({ parameters: { user: 'u1' }, inputs: [] }, 'user')).toBe('u1');
    expect(
      fieldKey({ inputs: [{ name: 'user', datatype: 'INT64', shape: [2, 1], data: [[7], [8]] }] }, 'user'),
    ).toBe('7');
    expect(fieldKey({ dataframe_records: [{ user: 'a', x: 1 }, { user: 'b' }] }, 'user')).toBe('a');
    expect(fieldKey({ dataframe_split: { columns: ['x', 'user'], data: [[1, 'z']] } }, 'user')).toBe('z');
    expect(fieldKey({ instances: [{ user: 3 }] }, 'user')).toBe('3');
    expect(fieldKey({ inputs: { user: ['q'] } }, 'user')).toBe('q');
    expect(fieldKey({ params: { user: 'p' }, inputs: [[1, 2]] }, 'user')).toBe('p');
    expect(fieldKey({ inputs: [{ name: 'x', data: [1] }] }, 'user')).toBeNull();
    expect(fieldKey('text', 'user')).toBeNull();
  });
});
