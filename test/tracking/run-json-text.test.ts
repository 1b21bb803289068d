import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import { runsSearchText, runText } from '../../src/server/protocols/mlflow-tracking/run-json-text.js';
import { runJson, withToken } from '../../src/server/protocols/mlflow-tracking/wire.js';

/** The directly written runs/search text is exactly JSON.stringify of the reference shape (wire.ts). */
function run(over: Partial<RunRecord> = {}, info: Partial<RunRecord['info']> = {}): RunRecord {
  return {
    info: {
      runId: 'a'.repeat(32),
      experimentId: '3',
      runName: 'brave-owl-7',
      userId: 'ana',
      status: 'RUNNING',
      startTime: 1_700_000_000_123,
      endTime: null,
      artifactUri: 'mlflow-artifacts:/3/aaaa/artifacts',
      lifecycleStage: 'active',
      ...info,
    },
    metrics: [],
    params: {},
    tags: {},
    datasetInputs: [],
    modelInputs: [],
    modelOutputs: [],
    ...over,
  };
}

const CASES: [string, RunRecord][] = [
  ['a bare run', run()],
  [
    'an empty user and a finished run',
    run({}, { userId: '', status: 'FINISHED', endTime: 1_700_000_999_000 }),
  ],
  [
    'metrics of every kind of double',
    run({
      metrics: [
        { key: 'acc', value: 0.1234567890123456, timestamp: 1, step: 0, runId: 'x' },
        { key: 'nan', value: Number.NaN, timestamp: 2, step: 3 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 2, step: -1 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 2, step: 0 },
        { key: 'tiny', value: 5e-324, timestamp: 0, step: 0 },
        { key: 'big', value: 1.7976931348623157e308, timestamp: 0, step: 2 ** 40 },
        { key: 'neg zero', value: -0, timestamp: 0, step: 0 },
        {
          key: 'with model',
          value: 1,
          timestamp: 5,
          step: 1,
          modelId: 'm-1',
          datasetName: 'train',
          datasetDigest: 'abc',
        },
        {
          key: 'nulls',
          value: 2,
          timestamp: 5,
          step: 1,
          modelId: null,
          datasetName: null,
          datasetDigest: null,
        },
      ],
    }),
  ],
  [
    'params and tags with characters JSON escapes',
    run({
      params: {
        model: 'mlp',
        'quote"d': 'back\\slash',
        nl: 'a\nb\tc',
        uni: 'héllo ✓ \u2028 \u0001',
        '7': 'numeric key',
      },
      tags: { 'mlflow.runName': 'brave-owl-7', 'mlflow.log-model.history': '[{"a": 1}]', empty: '' },
    }),
  ],
  [
    'inputs and outputs',
    run({
      datasetInputs: [
        {
          tags: { 'mlflow.data.context': 'train' },
          dataset: {
            name: 'd',
            digest: '12ab',
            sourceType: 'local',
            source: '{"uri": "x"}',
            schema: '{}',
            profile: null,
          },
        },
        {
          tags: {},
          dataset: {
            name: 'e',
            digest: '',
            sourceType: 'code',
            source: '',
            schema: null,
            profile: '{"n": 3}',
          },
        },
      ],
      modelInputs: ['m-1', 'm-2'],
      modelOutputs: [{ modelId: 'm-3', step: 4 }],
    }),
  ],
  ['only outputs', run({ modelOutputs: [{ modelId: 'm-9', step: 0 }] })],
  ['a deleted run with a strange name', run({}, { runName: '</script>"\'', lifecycleStage: 'deleted' })],
];

describe('runs/search JSON text', () => {
  it.each(CASES)('%s', (_name, r) => {
    expect(runText(r)).toBe(JSON.stringify(runJson(r)));
  });

  it('writes the page with and without runs and next_page_token', () => {
    const runs = CASES.map(([, r]) => r);
    for (const items of [runs, [runs[0]], []]) {
      for (const token of ['eyJvZmZzZXQiOiAxMH0=', null]) {
        const reference = JSON.stringify(
          withToken(items.length > 0 ? { runs: items.map(runJson) } : {}, token),
        );
        expect(runsSearchText(items, token)).toBe(reference);
      }
    }
  });
});
