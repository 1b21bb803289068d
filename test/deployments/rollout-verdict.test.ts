import { describe, expect, it } from 'vitest';
import { parseHold, parseSteps } from '../../src/deployments/rollout-schedule.js';
import { judgeStep } from '../../src/deployments/rollout-verdict.js';
import type { TrafficSummary } from '../../src/deployments/traffic-stats.js';
import { DEFAULT_ROLLOUT_MARGINS, type RolloutRecord } from '../../src/index.js';

const rollout = (hold: RolloutRecord['spec']['hold'], stepStartedAt = 0): RolloutRecord => ({
  id: 1,
  deployment: 'd',
  state: 'running',
  spec: {
    candidate: 'm:2',
    candidateVersion: 2,
    steps: [5, 50, 100],
    hold,
    margins: { ...DEFAULT_ROLLOUT_MARGINS },
  },
  at: 0,
  actor: 'local',
  baseRevision: 1,
  stepIndex: 0,
  stepRevision: 2,
  stepStartedAt,
  reason: null,
  updatedAt: 0,
  leaseOwner: null,
  leaseUntil: 0,
});

const traffic = (requests: number, errors = 0, p99Ms = 2, clientErrors = 0): TrafficSummary => ({
  requests,
  errors,
  clientErrors,
  errorRate: requests ? errors / requests : null,
  clientErrorRate: requests ? clientErrors / requests : null,
  p50Ms: p99Ms / 2,
  p99Ms,
  shadow: null,
});

const judge = (r: RolloutRecord, primary: TrafficSummary, candidate: TrafficSummary, now = 1000) =>
  judgeStep(r, { primary, candidate, primaryQuality: null, candidateQuality: null, now });

describe('judgeStep', () => {
  const byRequests = rollout({ ms: null, requests: 100 });

  it('waits for enough candidate requests before judging rates', () => {
    expect(judge(byRequests, traffic(100), traffic(5, 3)).action).toBe('hold');
  });

  it('rolls back when the candidate errors more than the margin over the primary, naming both rates', () => {
    const v = judge(byRequests, traffic(400, 2), traffic(40, 8));
    expect(v).toMatchObject({ action: 'rollback', check: 'error-rate' });
    expect(v.reason).toBe(
      "candidate error rate 20.0% (8/40) exceeds the primary's 0.5% by 19.5 points, more than the margin of 2.0 points",
    );
    expect(judge(byRequests, traffic(400, 0, 2, 0), traffic(40, 0, 2, 4))).toMatchObject({
      check: 'client-error-rate',
    });
  });

  it('rolls back on median latency past primary × ratio + slack, and on p99 once it has 100 requests', () => {
    const v = judge(byRequests, traffic(400, 0, 4), traffic(40, 0, 60));
    expect(v).toMatchObject({ action: 'rollback', check: 'latency-p50' });
    expect(v.reason).toMatch(/candidate p50 latency 30\.0 ms exceeds the limit 13\.0 ms .* by 17\.0 ms/);
    // A slow tail over 40 requests is one or two pauses: not judged yet; over 100 it is.
    const tail = (n: number): TrafficSummary => ({ ...traffic(n, 0, 30), p50Ms: 2 });
    expect(judge(byRequests, traffic(400, 0, 4), tail(40)).action).toBe('hold');
    const p99 = judge(byRequests, traffic(400, 0, 4), tail(100));
    expect(p99).toMatchObject({ action: 'rollback', check: 'latency-p99' });
    expect(p99.reason).toMatch(/candidate p99 latency 30\.0 ms exceeds the limit 16\.0 ms .* by 14\.0 ms/);
    expect(judge(byRequests, traffic(400, 0, 4), traffic(40, 0, 15)).action).toBe('hold');
  });

  it('rolls back on live quality when labels flow', () => {
    const v = judgeStep(byRequests, {
      primary: traffic(400),
      candidate: traffic(40),
      primaryQuality: { metric: 'accuracy', value: 0.95, higherIsBetter: true, labelled: 300 },
      candidateQuality: { metric: 'accuracy', value: 0.9, higherIsBetter: true, labelled: 30 },
      now: 0,
    });
    expect(v).toMatchObject({ action: 'rollback', check: 'quality-accuracy' });
  });

  it('advances once the hold is over: by requests or by time, whichever first', () => {
    expect(judge(byRequests, traffic(2000), traffic(100)).action).toBe('advance');
    expect(judge(byRequests, traffic(2000), traffic(99)).action).toBe('hold');
    const either = rollout({ ms: 60_000, requests: 5000 }, 0);
    expect(judge(either, traffic(100), traffic(30), 59_999).action).toBe('hold');
    expect(judge(either, traffic(100), traffic(30), 60_000).action).toBe('advance');
    // Time alone never advances a candidate nobody has called.
    expect(judge(either, traffic(0), traffic(0), 10 ** 9).action).toBe('hold');
  });
});

describe('rollout schedule', () => {
  it('parses steps, adding the final 100', () => {
    expect(parseSteps('5,25,50,100')).toEqual([5, 25, 50, 100]);
    expect(parseSteps('10, 50')).toEqual([10, 50, 100]);
    expect(() => parseSteps('50,25')).toThrow(/must increase/);
    expect(() => parseSteps('0,50')).toThrow(/percentage/);
  });

  it('parses holds by time, by requests, or both', () => {
    expect(parseHold('10m')).toEqual({ ms: 600_000, requests: null });
    expect(parseHold('2000req')).toEqual({ ms: null, requests: 2000 });
    expect(parseHold('10m|2000req')).toEqual({ ms: 600_000, requests: 2000 });
    expect(parseHold('30s')).toEqual({ ms: 30_000, requests: null });
    expect(() => parseHold('soon')).toThrow(/expected a duration/);
  });
});
