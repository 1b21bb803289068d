import { parseModelRef } from '../registry/model-ref.js';
import type {
  DeploymentConfig,
  DeploymentRecord,
  DeploymentStore,
  RevisionRecord,
  RolloutRecord,
  TargetRole,
} from '../store/deployment-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import type { LiveQuality, QualitySource } from './quality-source.js';
import { describeSpec } from './revision-spec.js';
import { summarize, type TrafficSummary } from './traffic-stats.js';

export interface TargetStatus {
  model: string;
  role: TargetRole;
  /** Configured share in percent (0 for a shadow). */
  weight: number;
  /** The version the reference resolves to now (null when it no longer resolves). */
  version: number | null;
  /** Versions that answered in this revision (an alias move during it gives several). */
  traffic: (TrafficSummary & { version: number; share: number | null })[];
  quality: LiveQuality | null;
}

export interface DeploymentStatus {
  name: string;
  revision: RevisionRecord;
  description: string;
  targets: TargetStatus[];
  /** The running rollout, else the newest one, else null. */
  rollout: RolloutRecord | null;
  config: DeploymentConfig;
}

export interface StatusSources {
  store: Pick<DeploymentStore, 'readStats' | 'listRollouts'>;
  /** The version a reference resolves to now, or null when it no longer resolves. */
  resolve: (ref: string) => Promise<ModelVersionRecord | null>;
  quality: QualitySource | null;
}

/**
 * `deploy status`: the live revision's traffic per target and version, summed over every serving
 * process (their counters are in the store), with live quality from the hook when labels flow.
 */
export async function deploymentStatus(
  dep: DeploymentRecord,
  live: RevisionRecord,
  sources: StatusSources,
): Promise<DeploymentStatus> {
  const name = dep.name;
  const rows = await sources.store.readStats(name, live.revision);
  const answering = rows.filter((r) => r.role !== 'shadow').reduce((n, r) => n + r.requests, 0);
  const targets: TargetStatus[] = [];
  for (const t of live.spec.targets) {
    const record = await sources.resolve(t.model);
    const mine = rows.filter((r) => r.role === t.role && r.model === parseModelRef(t.model).name);
    const versions = [...new Set(mine.map((r) => r.version))].sort((a, b) => a - b);
    const traffic = versions.map((v) => {
      const s = summarize(mine.filter((r) => r.version === v));
      return {
        ...s,
        version: v,
        share: t.role === 'shadow' || answering === 0 ? null : s.requests / answering,
      };
    });
    const quality =
      sources.quality && record
        ? await sources.quality
            .liveQuality({ deployment: name, model: record.name, version: record.version, sinceMs: live.at })
            .catch(() => null)
        : null;
    targets.push({
      model: t.model,
      role: t.role,
      weight: t.weight,
      version: record?.version ?? null,
      traffic,
      quality,
    });
  }
  const rollouts = await sources.store.listRollouts({ deployment: name });
  return {
    name,
    revision: live,
    description: describeSpec(live.spec, live.resolved),
    targets,
    rollout: rollouts.find((r) => r.state === 'running') ?? rollouts.at(-1) ?? null,
    config: dep.config,
  };
}
