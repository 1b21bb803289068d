import { SlipwayError } from '../core/errors.js';
import { parseModelRef } from '../registry/model-ref.js';
import type { RevisionSpec, TargetSpec } from '../store/deployment-store.js';

/** The target that answers what the others do not. Every spec has exactly one. */
export function primaryOf(spec: RevisionSpec): TargetSpec {
  const p = spec.targets.find((t) => t.role === 'primary');
  if (!p) throw new SlipwayError('INTERNAL', 'revision has no primary target');
  return p;
}

/** The target a promotion would promote: the canary or B side, or the shadow. */
export function candidateOf(spec: RevisionSpec): TargetSpec | null {
  return (
    spec.targets.find((t) => t.role === 'candidate') ?? spec.targets.find((t) => t.role === 'shadow') ?? null
  );
}

/** A reference that follows something that moves (an alias, or a bare name's default). */
export function isFollowing(ref: string): boolean {
  return parseModelRef(ref).kind !== 'version';
}

export function single(model: string): RevisionSpec {
  return { policy: 'single', targets: [{ model, role: 'primary', weight: 100 }], abKey: null };
}

export function canary(primary: string, candidate: string, weight: number): RevisionSpec {
  checkWeight(weight, 'canary');
  return {
    policy: 'canary',
    targets: [
      { model: primary, role: 'primary', weight: 100 - weight },
      { model: candidate, role: 'candidate', weight },
    ],
    abKey: null,
  };
}

export function shadow(primary: string, copy: string): RevisionSpec {
  return {
    policy: 'shadow',
    targets: [
      { model: primary, role: 'primary', weight: 100 },
      { model: copy, role: 'shadow', weight: 0 },
    ],
    abKey: null,
  };
}

export function ab(
  primary: string,
  candidate: string,
  weight: number,
  key: { header: string | null; field: string | null },
): RevisionSpec {
  checkWeight(weight, 'A/B');
  if ((key.header === null) === (key.field === null)) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      'an A/B test needs exactly one sticky key: --key-header <name> or --key-field <name>',
    );
  }
  if (key.header !== null && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key.header)) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `invalid --key-header "${key.header}": not an HTTP header name`,
    );
  }
  return {
    policy: 'ab',
    targets: [
      { model: primary, role: 'primary', weight: 100 - weight },
      { model: candidate, role: 'candidate', weight },
    ],
    abKey: { header: key.header?.toLowerCase() ?? null, field: key.field },
  };
}

function checkWeight(weight: number, what: string): void {
  if (!Number.isFinite(weight) || weight <= 0 || weight >= 100) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `invalid ${what} weight ${weight}: expected a percentage between 0 and 100 (exclusive) for the candidate`,
    );
  }
}

/** `canary: fraud@champion (v3) 90% · fraud:4 10%`. */
export function describeSpec(spec: RevisionSpec, resolved: Record<string, number>): string {
  const parts = spec.targets.map((t) => {
    const v = resolved[t.model];
    const at = v !== undefined && isFollowing(t.model) ? ` (v${v})` : '';
    const share = t.role === 'shadow' ? 'shadow' : spec.policy === 'single' ? '' : `${round(t.weight)}%`;
    return `${t.model}${at}${share ? ` ${share}` : ''}`;
  });
  const key = spec.abKey
    ? ` by ${spec.abKey.header ? `header ${spec.abKey.header}` : `field ${spec.abKey.field}`}`
    : '';
  return `${spec.policy}${key}: ${parts.join(' · ')}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
