import { SlipwayError } from '../core/errors.js';
import type { RolloutSpec } from '../store/deployment-store.js';

/**
 * `--steps 5,25,50,100`: candidate shares in percent, strictly ascending, each in 1..100; a last
 * step of 100 is added when missing (the rollout ends with the candidate taking everything).
 */
export function parseSteps(text: string | readonly number[]): number[] {
  const steps =
    typeof text === 'string'
      ? text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map(Number)
      : [...text];
  if (steps.length === 0) throw invalid(`invalid --steps "${String(text)}": expected e.g. 5,25,50,100`);
  for (const [i, s] of steps.entries()) {
    if (!Number.isFinite(s) || s <= 0 || s > 100) {
      throw invalid(`invalid --steps: step ${i + 1} is ${s}; expected a percentage in (0, 100]`);
    }
    if (i > 0 && s <= steps[i - 1]) {
      throw invalid(
        `invalid --steps: ${steps.join(',')} must increase (step ${i + 1} is ${s} after ${steps[i - 1]})`,
      );
    }
  }
  if (steps.at(-1) !== 100) steps.push(100);
  return steps;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `--hold 10m`, `--hold 2000req`, or both as `10m|2000req` (whichever comes first): how long each
 * step holds before the next. Durations take ms, s, m or h.
 */
export function parseHold(text: string): RolloutSpec['hold'] {
  const hold: RolloutSpec['hold'] = { ms: null, requests: null };
  for (const part of text.split('|').map((p) => p.trim())) {
    const req = /^(\d+)\s*req(?:uests)?$/.exec(part);
    if (req) {
      hold.requests = Number(req[1]);
      continue;
    }
    const dur = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(part);
    if (dur) {
      hold.ms = Math.round(Number(dur[1]) * UNITS_MS[dur[2]]);
      continue;
    }
    throw invalid(
      `invalid --hold "${text}": expected a duration (30s, 10m, 1h), a request count (2000req), or both as 10m|2000req`,
    );
  }
  if ((hold.ms ?? 1) <= 0 || (hold.requests ?? 1) <= 0)
    throw invalid(`invalid --hold "${text}": must be positive`);
  return hold;
}

export function formatHold(hold: RolloutSpec['hold']): string {
  const parts: string[] = [];
  if (hold.ms !== null)
    parts.push(
      hold.ms % 60_000 === 0
        ? `${hold.ms / 60_000}m`
        : hold.ms % 1000 === 0
          ? `${hold.ms / 1000}s`
          : `${hold.ms}ms`,
    );
  if (hold.requests !== null) parts.push(`${hold.requests}req`);
  return parts.join('|');
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('CORE_INVALID_ARGUMENT', message);
}
