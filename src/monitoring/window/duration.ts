import { SlipwayError } from '../../core/errors.js';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `15m`, `1h`, `7d`, `2w` (or a bare number of milliseconds) → milliseconds. */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text > 0) return text;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
    if (m) {
      const ms = Number(m[1]) * UNITS[m[2] ?? 'ms'];
      if (ms > 0) return ms;
    }
  }
  throw new SlipwayError(
    'MONITORING_INVALID_WINDOW',
    `${what} "${text}": expected a positive number with a unit (s, m, h, d or w), such as 15m, 1h or 7d`,
  );
}

/** The inverse, for messages: the largest unit that divides the duration exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
