import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GateReport, type Slipway, SlipwayError } from '../../src/index.js';
import { fixtureModelPath } from '../helpers/fixtures.js';
import { CANDIDATES, HOLDOUT, homeWithModels } from './helpers.js';

// Library-level: the gates need no server (the CLI runs them in its own process too).
let slipway: Slipway;
beforeAll(async () => {
  ({ slipway } = await homeWithModels()); // cancer v1 MLP (champion), v2 GBDT
  await slipway.registry.register({ name: 'cancer', path: CANDIDATES.constant, codeVersion: 'test' }); // v3
  await slipway.registry.register({ name: 'cancer', path: CANDIDATES.slow, codeVersion: 'test' }); // v4
  await slipway.registry.register({
    name: 'tokens',
    path: fixtureModelPath('token_classifier'),
    codeVersion: 'test',
  });
  await slipway.deployments.create('screening', { model: 'cancer@champion' });
  await slipway.deployments.configure('screening', {
    gates: {
      signature: true,
      evaluation: {
        dataset: HOLDOUT,
        target: 'target',
        min: { accuracy: 0.9, roc_auc: 0.9 },
        max: {},
        margin: { accuracy: 0.02 },
      },
      latency: { p99Ms: 30, requests: 40, concurrency: 4 },
    },
  });
});
afterAll(async () => {
  await slipway?.close();
});

async function blocked(): Promise<GateReport> {
  try {
    await slipway.deployments.promote('screening', { message: 'try it' });
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('DEPLOYMENTS_GATE_FAILED');
    return (err as SlipwayError).details!.report as GateReport;
  }
  throw new Error('promotion was not blocked');
}

const check = (report: GateReport, name: string) => report.checks.find((c) => c.check === name)!;

describe('evaluate', () => {
  it('computes and records the monitoring metrics of a version on a holdout', async () => {
    const e = await slipway.deployments.evaluate('cancer:1', { dataset: HOLDOUT, target: 'target' });
    expect(e).toMatchObject({
      model: 'cancer',
      version: 1,
      rows: 171,
      task: 'classification',
      target: 'target',
    });
    expect(Object.keys(e.metrics).sort()).toEqual([
      'accuracy',
      'f1',
      'log_loss',
      'precision',
      'recall',
      'roc_auc',
    ]);
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
    expect(e.metrics.roc_auc).toBeGreaterThan(0.95);
    expect(e.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('promotion gates', () => {
  it('block a worse candidate with a report naming each failed check and by how much', async () => {
    await slipway.deployments.canary('screening', { model: 'cancer:3', weight: 10 });
    const report = await blocked();
    expect(report.passed).toBe(false);
    expect(report.candidate).toEqual({ model: 'cancer', version: 3 });
    expect(report.current).toEqual({ model: 'cancer', version: 1 });
    const accuracy = check(report, 'evaluation.accuracy.min');
    expect(accuracy.passed).toBe(false);
    expect(accuracy.actual).toBeCloseTo(107 / 171, 6); // the majority class of the holdout
    expect(accuracy.by).toBeCloseTo(0.9 - 107 / 171, 6);
    expect(accuracy.message).toMatch(/accuracy 0\.6257, required at least 0\.9 \(short by 0\.2743\)/);
    expect(check(report, 'evaluation.roc_auc.min')).toMatchObject({ passed: false, actual: 0.5 });
    const margin = check(report, 'evaluation.accuracy.margin');
    expect(margin.passed).toBe(false);
    expect(margin.message).toMatch(/worse by 0\.3275, margin 0\.02/);
    expect(check(report, 'signature').passed).toBe(true);
    expect(check(report, 'latency.p99').passed).toBe(true);
    // Nothing changed: the canary is still live and the champion did not move.
    expect((await slipway.deployments.history('screening')).at(-1)!.action).toBe('canary');
    expect((await slipway.registry.getModel('cancer')).aliases.champion).toBe(1);
  });

  it('block a slow candidate on the latency probe', async () => {
    await slipway.deployments.canary('screening', { model: 'cancer:4', weight: 10 });
    const report = await blocked();
    const latency = check(report, 'latency.p99');
    expect(latency.passed).toBe(false);
    expect(latency.actual!).toBeGreaterThan(30);
    expect(latency.by!).toBeCloseTo(latency.actual! - 30, 6);
    expect(latency.message).toMatch(/budget 30 ms \(over by/);
  });

  it('block a candidate whose signature does not take the current inputs', async () => {
    await slipway.deployments.canary('screening', { model: 'tokens:1', weight: 10, force: true });
    const report = await blocked();
    const signature = check(report, 'signature');
    expect(signature.passed).toBe(false);
    expect(signature.message).toMatch(/input "features" is missing from the candidate/);
    expect(signature.message).toMatch(/the candidate needs input "input_ids"/);
  });

  it('let a candidate that passes every check through, and record every run', async () => {
    await slipway.deployments.canary('screening', { model: 'cancer:2', weight: 10 });
    const { revision, gates } = await slipway.deployments.promote('screening', {
      message: 'GBDT is good enough',
    });
    expect(gates?.passed).toBe(true);
    expect(gates?.checks.map((c) => c.check)).toEqual([
      'signature',
      'evaluation.accuracy.min',
      'evaluation.roc_auc.min',
      'evaluation.accuracy.margin',
      'latency.p99',
    ]);
    expect(revision).toMatchObject({ action: 'promote', message: 'GBDT is good enough' });
    expect(revision.details).toMatchObject({
      gates: { passed: true },
      promoted: { model: 'cancer', version: 2 },
    });
    expect((await slipway.registry.getModel('cancer')).aliases.champion).toBe(2);
    const results = await slipway.deployments.gateResults('screening');
    expect(results.map((r) => [r.version, r.passed])).toEqual([
      [3, false],
      [4, false],
      [1, false],
      [2, true],
    ]);
  });
});
