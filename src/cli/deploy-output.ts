import {
  type DeploymentStatus,
  describeSpec,
  formatHold,
  type GateReport,
  type RevisionRecord,
  type RolloutRecord,
} from '../index.js';
import { fields, formatTime, table } from './output.js';

// How `slipway deploy` shows revisions, rollouts, gate reports and status to people (--json prints the records).

export function revisionText(r: RevisionRecord): string {
  return fields([
    ['deployment', r.deployment],
    ['revision', r.revision],
    ['action', r.action],
    ['traffic', describeSpec(r.spec, r.resolved)],
    ['who', r.actor],
    ['when', formatTime(r.at)],
    ['why', r.message],
  ]);
}

export function rolloutText(r: RolloutRecord): string {
  return fields([
    ['rollout', r.id],
    ['state', r.state],
    ['candidate', `${r.spec.candidate} (version ${r.spec.candidateVersion})`],
    ['steps', r.spec.steps.map((s, i) => (i === r.stepIndex ? `[${s}%]` : `${s}%`)).join(' → ')],
    ['hold', formatHold(r.spec.hold)],
    ['returns to', `revision ${r.baseRevision}`],
    ['reason', r.reason],
  ]);
}

export function gateTable(report: GateReport): string {
  const head =
    `gates for ${report.candidate.model}:${report.candidate.version}` +
    `${report.current ? ` against ${report.current.model}:${report.current.version}` : ''}: ${report.passed ? 'passed' : 'FAILED'}`;
  return `${head}\n${table(
    ['check', 'result', 'actual', 'threshold', 'by', 'detail'],
    report.checks.map((c) => [
      c.check,
      c.passed ? 'pass' : 'FAIL',
      num(c.actual),
      num(c.threshold),
      num(c.by),
      c.message,
    ]),
  )}`;
}

export function statusText(s: DeploymentStatus): string {
  const head = fields([
    ['deployment', s.name],
    [
      'revision',
      `${s.revision.revision} (${s.revision.action} by ${s.revision.actor}, ${formatTime(s.revision.at)})`,
    ],
    ['traffic', s.description],
    [
      'rollout',
      s.rollout
        ? `${s.rollout.id} ${s.rollout.state}, step ${s.rollout.stepIndex + 1} of ${s.rollout.spec.steps.length}${s.rollout.reason ? `: ${s.rollout.reason}` : ''}`
        : null,
    ],
  ]);
  const rows: (string | number | null)[][] = [];
  for (const t of s.targets) {
    const traffic = t.traffic.length > 0 ? t.traffic : [null];
    for (const v of traffic) {
      rows.push([
        t.model,
        v?.version ?? t.version,
        t.role,
        `${t.weight}%`,
        v?.share === null || v?.share === undefined ? '' : `${(v.share * 100).toFixed(1)}%`,
        v?.requests ?? 0,
        v ? `${v.errors}+${v.clientErrors}` : '0',
        num(v?.p50Ms ?? null),
        num(v?.p99Ms ?? null),
        t.quality ? `${t.quality.metric} ${t.quality.value.toFixed(4)} (n=${t.quality.labelled})` : '',
        v?.shadow
          ? `agree ${v.shadow.agreementRate === null ? '-' : `${(v.shadow.agreementRate * 100).toFixed(1)}%`}, max Δ ${num(v.shadow.maxAbsDelta)}, dropped ${v.shadow.dropped}`
          : '',
      ]);
    }
  }
  return `${head}\n\n${table(
    [
      'target',
      'version',
      'role',
      'weight',
      'share',
      'requests',
      'errors (5xx+4xx)',
      'p50 ms',
      'p99 ms',
      'quality',
      'shadow',
    ],
    rows,
  )}`;
}

export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 100 ? String(Number(x.toFixed(1))) : String(Number(x.toPrecision(3)));
}
