import { useState } from 'preact/hooks';
import { qs } from '../api';
import { PromoteDialog, RollbackDialog } from '../components/deployment-actions';
import { TrafficCharts } from '../components/traffic-charts';
import { ActionBadge, Async, Badge, Card, Empty, RangePicker, SplitBar, Time } from '../components/ui';
import { fmtMs, fmtNumber, fmtPercent, fmtTime } from '../format';
import { useApi } from '../hooks';
import { href } from '../router';
import type { DeploymentDetail, DeploymentStatus, RevisionSummary, Traffic } from '../types';
import { DriftBadge } from './overview';

/**
 * One deployment: the live revision and its split, live figures per version, charts over time,
 * the revision timeline (who, when, why), and the promote / roll back buttons.
 */
export function DeploymentPage({ name }: { name: string }) {
  const [since, setSince] = useState('6h');
  const detail = useApi<DeploymentDetail>(`api/v1/dashboard/deployments/${encodeURIComponent(name)}`, 10_000);
  const status = useApi<DeploymentStatus>(`api/v1/deployments/${encodeURIComponent(name)}`, 10_000);
  const traffic = useApi<Traffic>(
    `api/v1/dashboard/traffic${qs({ deployment: name, since, points: 120 })}`,
    15_000,
  );
  const [dialog, setDialog] = useState<
    { kind: 'rollback'; to: RevisionSummary | null } | { kind: 'promote' } | null
  >(null);
  const reload = () => {
    detail.reload();
    status.reload();
    traffic.reload();
  };
  return (
    <div class="page" data-testid="page-deployment">
      <div class="page-head">
        <h1>
          <a href={href('deployments')} class="muted">
            Deployments
          </a>{' '}
          / {name}
        </h1>
      </div>
      <Async state={detail}>
        {(d) => {
          const candidate = d.live.targets.some((t) => t.role !== 'primary');
          return (
            <div data-ready="deployment">
              <Card
                title={
                  <>
                    Live: revision <span data-testid="live-revision">{d.live.revision}</span>{' '}
                    <span class="muted small">{d.live.policy}</span>
                  </>
                }
                actions={
                  <>
                    <a class="btn" href={href('monitoring', { deployment: name })}>
                      Monitoring
                    </a>
                    <button
                      type="button"
                      class="btn btn-primary"
                      disabled={!candidate}
                      title={candidate ? '' : 'The live revision has no candidate or shadow to promote'}
                      onClick={() => setDialog({ kind: 'promote' })}
                      data-testid="promote"
                    >
                      Promote…
                    </button>
                    <button
                      type="button"
                      class="btn btn-danger"
                      disabled={!d.rollback_to}
                      onClick={() => setDialog({ kind: 'rollback', to: d.rollback_to })}
                      data-testid="rollback"
                    >
                      {d.rollback_to
                        ? `Roll back to revision ${d.rollback_to.revision}…`
                        : 'Nothing to roll back to'}
                    </button>
                  </>
                }
              >
                <div class="live-grid">
                  <div>
                    <div class="live-desc" data-testid="live-description">
                      {d.live.description}
                    </div>
                    <SplitBar revision={d.live} />
                    <div class="muted small">
                      <ActionBadge action={d.live.action} /> by {d.live.actor} <Time ms={d.live.created_at} />
                      {d.live.message ? ` — “${d.live.message}”` : ''}
                    </div>
                    {d.rollout ? (
                      <div class="small">
                        Rollout #{d.rollout.id}:{' '}
                        <Badge tone={d.rollout.state === 'running' ? 'info' : 'muted'}>
                          {d.rollout.state}
                        </Badge>{' '}
                        step {d.rollout.step + 1} of {d.rollout.steps.length} ({d.rollout.steps.join(' → ')}%)
                      </div>
                    ) : null}
                  </div>
                  <div>
                    <h3>Drift of the live versions</h3>
                    {d.drift.length === 0 ? (
                      <span class="muted">not evaluated yet</span>
                    ) : (
                      d.drift.map((x) => (
                        <div key={`${x.model}:${x.version}`}>
                          {x.model}:{x.version} <DriftBadge drift={x} />{' '}
                          <span class="muted small">
                            <Time ms={x.at} />
                          </span>
                        </div>
                      ))
                    )}
                    {d.alerts.filter((a) => a.firing).length > 0 ? (
                      <div>
                        {d.alerts
                          .filter((a) => a.firing)
                          .map((a) => (
                            <Badge key={a.name} tone="bad">
                              alert {a.name} firing
                            </Badge>
                          ))}
                      </div>
                    ) : null}
                  </div>
                </div>
              </Card>

              <Card
                title="Live figures per version (this revision, every serving process)"
                testId="live-status"
              >
                <Async state={status}>{(s) => <StatusTable status={s} />}</Async>
              </Card>

              <Card
                title="Over time"
                actions={<RangePicker value={since} onChange={setSince} />}
                testId="deployment-charts"
              >
                <Async state={traffic}>{(t) => <TrafficCharts traffic={t} />}</Async>
              </Card>

              <Card title="Revision history" testId="revision-history">
                <ol class="timeline">
                  {d.revisions.map((r) => (
                    <li key={r.revision} class={r.revision === d.live.revision ? 'live' : ''}>
                      <div class="timeline-dot" />
                      <div class="timeline-body">
                        <div>
                          <b>revision {r.revision}</b> <ActionBadge action={r.action} />{' '}
                          {r.revision === d.live.revision ? <Badge tone="info">live</Badge> : null}
                          <span class="timeline-when" title={fmtTime(r.created_at)}>
                            {fmtTime(r.created_at)}
                          </span>
                        </div>
                        <div>{r.description}</div>
                        <div class="muted">
                          by <b>{r.actor}</b>
                          {r.message ? <> — “{r.message}”</> : ' — no reason given'}
                        </div>
                      </div>
                      {r.revision !== d.live.revision ? (
                        <button
                          type="button"
                          class="btn btn-small"
                          onClick={() => setDialog({ kind: 'rollback', to: r })}
                        >
                          Roll back to this
                        </button>
                      ) : null}
                    </li>
                  ))}
                </ol>
              </Card>

              {dialog?.kind === 'rollback' ? (
                <RollbackDialog
                  deployment={name}
                  live={d.live}
                  target={dialog.to}
                  onClose={() => setDialog(null)}
                  onDone={reload}
                />
              ) : null}
              {dialog?.kind === 'promote' ? (
                <PromoteDialog
                  deployment={name}
                  live={d.live}
                  onClose={() => setDialog(null)}
                  onDone={reload}
                />
              ) : null}
            </div>
          );
        }}
      </Async>
    </div>
  );
}

function StatusTable({ status }: { status: DeploymentStatus }) {
  type Row = {
    t: DeploymentStatus['targets'][number];
    v: DeploymentStatus['targets'][number]['traffic'][number] | null;
  };
  const rows = status.targets.flatMap((t): Row[] =>
    t.traffic.length === 0 ? [{ t, v: null }] : t.traffic.map((v) => ({ t, v })),
  );
  if (rows.length === 0) return <Empty>No targets.</Empty>;
  return (
    <table class="table">
      <thead>
        <tr>
          <th>Target</th>
          <th>Role</th>
          <th class="num">Weight</th>
          <th>Version</th>
          <th class="num">Share</th>
          <th class="num">Requests</th>
          <th class="num">Error rate</th>
          <th class="num">4xx</th>
          <th class="num">p50</th>
          <th class="num">p99</th>
          <th>Live quality</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ t, v }) => (
          <tr key={`${t.model}-${v?.version ?? 'none'}`}>
            <td>{t.model}</td>
            <td>{t.role}</td>
            <td class="num">{t.weight}%</td>
            <td>
              {v ? (
                <a href={href('models', t.model.split(/[:@]/)[0], { v: v.version })}>v{v.version}</a>
              ) : (
                `v${t.version ?? '?'}`
              )}
            </td>
            <td class="num">{v ? fmtPercent(v.share) : '—'}</td>
            <td class="num">{v ? fmtNumber(v.requests) : 0}</td>
            <td class="num">{v ? fmtPercent(v.error_rate, 2) : '—'}</td>
            <td class="num">{v ? fmtNumber(v.client_errors) : '—'}</td>
            <td class="num">{v ? fmtMs(v.p50_ms) : '—'}</td>
            <td class="num">{v ? fmtMs(v.p99_ms) : '—'}</td>
            <td>
              {t.quality ? (
                <span>
                  {t.quality.metric} {fmtNumber(t.quality.value)}{' '}
                  <span class="muted small">({t.quality.labelled} labels)</span>
                </span>
              ) : (
                <span class="muted">no labels yet</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
