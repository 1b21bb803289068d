import {
  defaultRollback,
  describeSpec,
  parseModelRef,
  type RevisionRecord,
  type Slipway,
  type VersionFilter,
} from '../../../index.js';

export interface LiveDeployment {
  name: string;
  updatedAt: number;
  live: RevisionRecord;
  /** Where `rollback` without `to` would go now, or null when there is no earlier revision. */
  rollbackTo: RevisionRecord | null;
  /** How many revisions the deployment has had. */
  revisions: number;
  rollout: { id: number; state: string; step: number; steps: number[] } | null;
}

/** Every deployment with its live revision and default rollback target, by name. */
export async function liveDeployments(slipway: Slipway): Promise<LiveDeployment[]> {
  const list = await slipway.deployments.list();
  return Promise.all(
    list.map(async (d) => {
      const history = await slipway.deployments.history(d.name);
      const live = history.find((r) => r.revision === d.liveRevision) ?? history.at(-1)!;
      return {
        name: d.name,
        updatedAt: d.updatedAt,
        live,
        rollbackTo: defaultRollback(history, live) ?? null,
        revisions: history.length,
        rollout: d.rollout,
      };
    }),
  );
}

/** The versions that answer (or shadow) in a revision, as store filters. */
export function revisionVersions(r: RevisionRecord): VersionFilter[] {
  return r.spec.targets
    .filter((t) => r.resolved[t.model] !== undefined)
    .map((t) => ({ model: parseModelRef(t.model).name, version: r.resolved[t.model] }));
}

export interface Placement {
  deployment: string;
  revision: number;
  role: string;
  weight: number;
}

/** `model:version` → the deployments whose live revision sends it traffic (or shadows it). */
export function placements(deployments: LiveDeployment[]): Map<string, Placement[]> {
  const out = new Map<string, Placement[]>();
  for (const d of deployments) {
    for (const t of d.live.spec.targets) {
      const version = d.live.resolved[t.model];
      if (version === undefined) continue;
      const key = `${parseModelRef(t.model).name}:${version}`;
      const list = out.get(key) ?? [];
      list.push({ deployment: d.name, revision: d.live.revision, role: t.role, weight: t.weight });
      out.set(key, list);
    }
  }
  return out;
}

export function revisionSummary(r: RevisionRecord) {
  return {
    revision: r.revision,
    created_at: r.at,
    actor: r.actor,
    action: r.action,
    message: r.message,
    policy: r.spec.policy,
    description: describeSpec(r.spec, r.resolved),
    targets: r.spec.targets.map((t) => ({
      model: t.model,
      name: parseModelRef(t.model).name,
      role: t.role,
      weight: t.weight,
      version: r.resolved[t.model] ?? null,
    })),
  };
}
