import type { RolloutRecord } from '../store/deployment-store.js';
import type { LiveQuality } from './quality-source.js';
import type { TrafficSummary } from './traffic-stats.js';

export interface StepEvidence {
  primary: TrafficSummary;
  candidate: TrafficSummary;
  primaryQuality: LiveQuality | null;
  candidateQuality: LiveQuality | null;
  now: number;
}

export type Verdict =
  | { action: 'hold'; reason: string }
  | { action: 'advance'; reason: string }
  | { action: 'rollback'; reason: string; check: string };

/** Candidate (and primary) requests before a 99th percentile is judged. */
export const P99_MIN_REQUESTS = 100;

/**
 * What a rollout step should do now. Roll back at once when the candidate is worse than the
 * primary by more than a margin (5xx rate, 4xx rate, median and p99 latency, live quality when
 * labels flow);
 * advance once the hold is over (time or candidate requests, whichever comes first) and the
 * candidate has answered enough requests to be judged; otherwise hold.
 *
 * Rates are judged only past `minRequests` candidate requests, so one early error among three
 * requests does not end a rollout; latency also needs as many primary requests to compare with.
 */
export function judgeStep(rollout: RolloutRecord, evidence: StepEvidence): Verdict {
  const m = rollout.spec.margins;
  const { primary, candidate } = evidence;
  const enough = candidate.requests >= m.minRequests;
  if (enough) {
    const pe = primary.errorRate ?? 0;
    const ce = candidate.errorRate ?? 0;
    if (ce - pe > m.errorRate) {
      return {
        action: 'rollback',
        check: 'error-rate',
        reason:
          `candidate error rate ${pct(ce)} (${candidate.errors}/${candidate.requests}) exceeds the primary's ${pct(pe)} ` +
          `by ${points(ce - pe)}, more than the margin of ${points(m.errorRate)}`,
      };
    }
    const pc = primary.clientErrorRate ?? 0;
    const cc = candidate.clientErrorRate ?? 0;
    if (cc - pc > m.clientErrorRate) {
      return {
        action: 'rollback',
        check: 'client-error-rate',
        reason:
          `candidate 4xx rate ${pct(cc)} (${candidate.clientErrors}/${candidate.requests}) exceeds the primary's ${pct(pc)} ` +
          `by ${points(cc - pc)}, more than the margin of ${points(m.clientErrorRate)}`,
      };
    }
    if (primary.requests >= m.minRequests) {
      // The median is judged as soon as rates are; the 99th percentile only once there are enough
      // requests for it to be more than the largest of a few (a single pause would decide otherwise).
      const quantiles: ['p50' | 'p99', number][] = [
        ['p50', m.minRequests],
        ['p99', Math.max(m.minRequests, P99_MIN_REQUESTS)],
      ];
      for (const [q, needed] of quantiles) {
        const p = q === 'p50' ? primary.p50Ms : primary.p99Ms;
        const c = q === 'p50' ? candidate.p50Ms : candidate.p99Ms;
        if (p === null || c === null || candidate.requests < needed || primary.requests < needed) continue;
        const limit = p * m.latencyRatio + m.latencySlackMs;
        if (c > limit) {
          return {
            action: 'rollback',
            check: `latency-${q}`,
            reason:
              `candidate ${q} latency ${ms(c)} exceeds the limit ${ms(limit)} ` +
              `(primary ${q} ${ms(p)} × ${m.latencyRatio} + ${m.latencySlackMs} ms) by ${ms(c - limit)}`,
          };
        }
      }
    }
    const pq = evidence.primaryQuality;
    const cq = evidence.candidateQuality;
    if (pq && cq && pq.metric === cq.metric && cq.labelled >= m.minRequests && pq.labelled >= m.minRequests) {
      const drop = pq.higherIsBetter ? pq.value - cq.value : cq.value - pq.value;
      if (drop > m.quality) {
        return {
          action: 'rollback',
          check: `quality-${cq.metric}`,
          reason:
            `candidate live ${cq.metric} ${cq.value.toFixed(4)} is worse than the primary's ${pq.value.toFixed(4)} ` +
            `by ${drop.toFixed(4)}, more than the margin of ${m.quality}`,
        };
      }
    }
  }
  const held = evidence.now - rollout.stepStartedAt;
  const { hold } = rollout.spec;
  const timeUp = hold.ms !== null && held >= hold.ms;
  const countUp = hold.requests !== null && candidate.requests >= hold.requests;
  if ((timeUp || countUp) && enough) {
    return {
      action: 'advance',
      reason: timeUp
        ? `held ${ms(held)} with ${candidate.requests} candidate requests within margins`
        : `candidate answered ${candidate.requests} requests within margins`,
    };
  }
  return {
    action: 'hold',
    reason: enough
      ? 'within margins, holding'
      : `waiting for ${m.minRequests} candidate requests (${candidate.requests} so far)`,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function points(x: number): string {
  return `${(x * 100).toFixed(1)} points`;
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}
