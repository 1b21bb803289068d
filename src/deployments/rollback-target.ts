import { parseModelRef } from '../registry/model-ref.js';
import type { RevisionRecord } from '../store/deployment-store.js';

/** An alias a change moved, recorded in the revision's details so a rollback can undo it. */
export interface AliasMove {
  model: string;
  alias: string;
  from: number | null;
  to: number;
}

/**
 * Where `rollback` goes by default: the newest single-version revision before `live` that
 * answered with other versions (the last known-good state), else the revision just before it.
 */
export function defaultRollback(
  revisions: RevisionRecord[],
  live: RevisionRecord,
): RevisionRecord | undefined {
  const answering = (r: RevisionRecord) =>
    r.spec.targets
      .filter((t) => t.role !== 'shadow')
      .map((t) => `${parseModelRef(t.model).name}:${r.resolved[t.model]}`)
      .sort()
      .join(',');
  const now = answering(live);
  for (let i = revisions.length - 1; i >= 0; i--) {
    const r = revisions[i];
    if (r.revision >= live.revision || r.spec.policy !== 'single') continue;
    if (answering(r) !== now || live.spec.policy !== 'single') return r;
  }
  return revisions.find((r) => r.revision === live.revision - 1);
}

/**
 * The alias a promotion after revision `since` moved away from the reference's old version and
 * that still points where the promotion left it: undoing it is what a rollback means.
 */
export function promotionToUndo(
  revisions: RevisionRecord[],
  since: number,
  ref: string,
  current: number | null,
): { model: string; alias: string } | null {
  const r = parseModelRef(ref);
  const alias = r.kind === 'alias' ? r.alias : 'champion';
  for (let i = revisions.length - 1; i >= 0; i--) {
    const rev = revisions[i];
    if (rev.revision <= since) break;
    const moves = (rev.details.aliasMoves as AliasMove[] | undefined) ?? [];
    const move = moves.find((m) => m.model === r.name && m.alias === alias);
    if (move) return move.to === current ? { model: r.name, alias } : null;
  }
  return null;
}
