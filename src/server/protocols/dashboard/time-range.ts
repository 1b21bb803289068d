import { SlipwayError } from '../../../core/errors.js';
import { parseDuration } from '../../../index.js';

export interface TimeRange {
  from: number;
  until: number;
  /** Bucket width: a round number of minutes chosen so the range has at most `points` buckets. */
  stepMs: number;
}

const MINUTE = 60_000;
/** Bucket widths a person reads easily, in minutes (1 minute is the traffic counters' own grain). */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

/**
 * The range of a dashboard query: `from`/`until` in ms, or `since` (a duration back from now,
 * default `defaultSince`), with `points` buckets at most (default 360, at most 2000).
 */
export function timeRangeOf(
  q: Record<string, string | undefined>,
  now: number,
  defaultSince: string,
  defaultPoints = 360,
): TimeRange {
  const until = q.until ? msOf(q.until, 'until') : now;
  const from = q.from ? msOf(q.from, 'from') : until - parseDuration(q.since ?? defaultSince, 'since');
  if (!(from < until)) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `"from" (${from}) must be before "until" (${until})`);
  }
  const points = Math.min(2000, Math.max(1, q.points ? msOf(q.points, 'points') : defaultPoints));
  const minutes = (until - from) / MINUTE / points;
  const stepMs = (STEPS.find((s) => s >= minutes) ?? Math.ceil(minutes)) * MINUTE;
  // The first bucket starts on the step, so it is as complete as the others.
  return { from: Math.floor(from / stepMs) * stepMs, until, stepMs };
}

/** Bucket starts covering [from, until), aligned on the step. */
export function bucketsOf(range: TimeRange): number[] {
  const out: number[] = [];
  for (let t = range.from; t < range.until; t += range.stepMs) out.push(t);
  return out;
}

function msOf(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `"${what}" must be a whole non-negative number, got "${text}"`,
    );
  }
  return n;
}
