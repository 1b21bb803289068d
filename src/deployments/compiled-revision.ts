import type { IncomingHttpHeaders } from 'node:http';
import type { ServedVersion } from '../serving/model-repository.js';
import type { RevisionRecord, TargetRole, TrafficPolicy } from '../store/deployment-store.js';
import { stickyPick, targetSeed } from './sticky-hash.js';
import type { ArmCounters } from './traffic-stats.js';

/** One target of a live revision, loaded: what a request routed to it needs, built once. */
export interface Arm {
  readonly deployment: string;
  readonly revision: number;
  /** `String(revision)`, for the `x-deployment-revision` header. */
  readonly revisionText: string;
  readonly role: TargetRole;
  /** The target's model reference as the revision names it. */
  readonly ref: string;
  readonly weight: number;
  readonly served: ServedVersion;
  /** `String(version)`, for `model_version` and `x-model-version`. */
  readonly versionText: string;
  readonly counters: ArmCounters;
  /** Rendezvous-hash seed of the target (its reference), for sticky A/B keys. */
  readonly seed: number;
  /** Input names and datatypes: a shadow with the same key can reuse the primary's decoded tensors. */
  readonly inputKey: string;
  /** The revision's shadow, or null. */
  readonly shadow: Arm | null;
}

/**
 * A revision made ready to route: every version loaded, arms built, weights accumulated. A request
 * reads one of these once and uses only its arms, so it is answered by exactly one version of
 * exactly one revision, whatever switches meanwhile.
 */
export interface CompiledRevision {
  readonly deployment: string;
  readonly revision: number;
  readonly record: RevisionRecord;
  readonly policy: TrafficPolicy;
  /** The arms that answer (primary first); a shadow is not among them. */
  readonly arms: readonly Arm[];
  readonly cumulative: Float64Array;
  readonly total: number;
  readonly shadow: Arm | null;
  readonly keyHeader: string | null;
  readonly keyField: string | null;
  /** Each target reference → the version it resolved to when compiled (to notice alias moves). */
  readonly resolved: ReadonlyMap<string, number>;
  /** Model names whose aliases or defaults this revision follows. */
  readonly follows: ReadonlySet<string>;
  /** Versions taken from the pool, released when this revision stops being live. */
  readonly served: readonly ServedVersion[];
}

export interface ArmInput {
  ref: string;
  role: TargetRole;
  weight: number;
  served: ServedVersion;
  counters: ArmCounters;
}

export function buildCompiled(
  record: RevisionRecord,
  inputs: readonly ArmInput[],
  resolved: ReadonlyMap<string, number>,
  follows: ReadonlySet<string>,
): CompiledRevision {
  const make = (a: ArmInput, shadow: Arm | null): Arm => ({
    deployment: record.deployment,
    revision: record.revision,
    revisionText: String(record.revision),
    role: a.role,
    ref: a.ref,
    weight: a.weight,
    served: a.served,
    versionText: String(a.served.record.version),
    counters: a.counters,
    seed: targetSeed(a.ref),
    inputKey: a.served.record.signature.inputs.map((i) => `${i.name}:${i.datatype}`).join(','),
    shadow,
  });
  const shadowInput = inputs.find((a) => a.role === 'shadow');
  const shadow = shadowInput ? make(shadowInput, null) : null;
  const arms = inputs
    .filter((a) => a.role !== 'shadow')
    .sort((a, b) => (a.role === 'primary' ? -1 : b.role === 'primary' ? 1 : 0))
    .map((a) => make(a, shadow));
  const cumulative = new Float64Array(arms.length);
  let total = 0;
  for (let i = 0; i < arms.length; i++) {
    total += Math.max(0, arms[i].weight);
    cumulative[i] = total;
  }
  return {
    deployment: record.deployment,
    revision: record.revision,
    record,
    policy: record.spec.policy,
    arms,
    cumulative,
    total,
    shadow,
    keyHeader: record.spec.abKey?.header ?? null,
    keyField: record.spec.abKey?.field ?? null,
    resolved,
    follows,
    served: inputs.map((a) => a.served),
  };
}

/** The arm a request goes to. Canary: weighted at random; A/B: sticky by key (random without one). */
export function pickArm(c: CompiledRevision, headers: IncomingHttpHeaders, body: unknown): Arm {
  switch (c.policy) {
    case 'single':
    case 'shadow':
      return c.arms[0];
    case 'canary':
      return weighted(c, Math.random());
    case 'ab': {
      const key = c.keyHeader !== null ? headerKey(headers[c.keyHeader]) : fieldKey(body, c.keyField!);
      if (key === null) return weighted(c, Math.random());
      const i = stickyPick(key, c.arms);
      return i < 0 ? c.arms[0] : c.arms[i];
    }
  }
}

function weighted(c: CompiledRevision, u: number): Arm {
  if (c.arms.length === 1 || c.total <= 0) return c.arms[0];
  const x = u * c.total;
  for (let i = 0; i < c.arms.length; i++) if (x < c.cumulative[i]) return c.arms[i];
  return c.arms[c.arms.length - 1];
}

function headerKey(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? null : v;
}

/**
 * The A/B key from a request body, first row: V2 `parameters[field]` or the input tensor named
 * `field`; MLflow `params[field]`, `dataframe_records[0][field]`, `dataframe_split` column
 * `field`, `instances[0][field]` or `inputs[field]`.
 */
export function fieldKey(body: unknown, field: string): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const fromParams =
    scalar((b.parameters as Record<string, unknown> | undefined)?.[field]) ??
    scalar((b.params as Record<string, unknown> | undefined)?.[field]);
  if (fromParams !== null) return fromParams;
  if (Array.isArray(b.inputs)) {
    const input = b.inputs.find((i) => (i as { name?: unknown } | null)?.name === field) as
      | { data?: unknown }
      | undefined;
    return input ? first(input.data) : null;
  }
  if (typeof b.inputs === 'object' && b.inputs !== null)
    return first((b.inputs as Record<string, unknown>)[field]);
  if (Array.isArray(b.dataframe_records))
    return scalar((b.dataframe_records[0] as Record<string, unknown> | undefined)?.[field]);
  const split = b.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
  if (split && Array.isArray(split.columns) && Array.isArray(split.data)) {
    const i = split.columns.indexOf(field);
    return i < 0 ? null : scalar((split.data[0] as unknown[] | undefined)?.[i]);
  }
  if (Array.isArray(b.instances))
    return scalar((b.instances[0] as Record<string, unknown> | undefined)?.[field]);
  return null;
}

function first(data: unknown): string | null {
  let cur = data;
  while (Array.isArray(cur)) cur = cur[0];
  return scalar(cur);
}

function scalar(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? String(v)
    : null;
}
