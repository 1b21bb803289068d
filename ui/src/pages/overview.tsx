import { useState } from 'preact/hooks';
import { RollbackDialog } from '../components/deployment-actions';
import { ActionBadge, Async, Badge, Card, Empty, SplitBar, Stat, Time } from '../components/ui';
import { fmtMs, fmtNumber, fmtPercent, fmtRate } from '../format';
import { useApi } from '../hooks';
import { href } from '../router';
import type { DriftSummary, Overview, OverviewDeployment } from '../types';

/**
 * The front page: what needs a look now (drifted or alerting deployments, with the way back one
 * click away), then every deployment's health, then the counts.
 */
export function OverviewPage() {
  const state = useApi<Overview>('api/v1/dashboard/overview', 15_000);
  const [rollback, setRollback] = useState<OverviewDeployment | null>(null);
  return (
    <div class="page" data-testid="page-overview">
      <div class="page-head">
        <h1>Overview</h1>
        {state.data ? (
          <span class="muted">
            as of <Time ms={state.data.at} /> · refreshes every 15 s
          </span>
        ) : null}
      </div>
      <Async state={state}>
        {(o) => {
          const trouble = o.deployments.filter((d) => d.status !== 'ok');
          const running = o.counts.jobs.RUNNING ?? 0;
          const failed = o.counts.jobs.FAILED ?? 0;
          return (
            <div data-ready="overview">
              <div class="stats">
                <Stat
                  label="Deployments"
                  value={o.counts.deployments}
                  sub={trouble.length > 0 ? `${trouble.length} need attention` : 'all healthy'}
                  tone={trouble.length > 0 ? 'bad' : 'ok'}
                  href={href('deployments')}
                />
                <Stat
                  label="Firing alerts"
                  value={o.counts.firing_alerts}
                  tone={o.counts.firing_alerts > 0 ? 'bad' : 'ok'}
                  href={href('monitoring')}
                />
                <Stat
                  label="Models"
                  value={o.counts.models}
                  sub={`${o.counts.versions} versions`}
                  href={href('models')}
                />
                <Stat
                  label="Runs"
                  value={fmtNumber(o.counts.runs)}
                  sub={`${o.counts.experiments} experiments`}
                  href={href('experiments')}
                />
                <Stat
                  label="Batch jobs"
                  value={running}
                  sub={`running${failed ? ` · ${failed} failed` : ''} · ${o.counts.jobs.SUCCEEDED ?? 0} done`}
                  tone={failed > 0 ? 'warn' : undefined}
                  href={href('jobs')}
                />
              </div>

              {trouble.length > 0 ? (
                <section class="attention" data-testid="attention">
                  <h2>Needs attention</h2>
                  {trouble.map((d) => (
                    <AttentionRow key={d.name} d={d} onRollback={() => setRollback(d)} />
                  ))}
                </section>
              ) : o.deployments.length > 0 ? (
                <div class="all-good">
                  Every deployment is healthy: no drift, no firing alert, no server errors.
                </div>
              ) : null}

              <Card title="Deployments" testId="deployments-table">
                {o.deployments.length === 0 ? (
                  <Empty>
                    No deployment yet. Create one with <code>slipway deploy create NAME --model MODEL</code>{' '}
                    or <code>POST /api/v1/deployments</code>.
                  </Empty>
                ) : (
                  <DeploymentsTable deployments={o.deployments} onRollback={setRollback} />
                )}
              </Card>

              {o.undeployed_drift.length > 0 ? (
                <Card title="Drift on versions no deployment serves">
                  <ul class="plain">
                    {o.undeployed_drift.map((d) => (
                      <li key={`${d.model}:${d.version}`}>
                        <a href={href('monitoring', { model: `${d.model}:${d.version}` })}>
                          {d.model}:{d.version}
                        </a>{' '}
                        <DriftBadge drift={d} />
                      </li>
                    ))}
                  </ul>
                </Card>
              ) : null}

              {o.firing_alerts.length > 0 ? (
                <Card title="Firing alerts">
                  <table class="table">
                    <thead>
                      <tr>
                        <th>Rule</th>
                        <th>Model</th>
                        <th>Condition</th>
                        <th>Last value</th>
                        <th>Fired</th>
                      </tr>
                    </thead>
                    <tbody>
                      {o.firing_alerts.map((a) => (
                        <tr key={a.name}>
                          <td>
                            <Badge tone={a.severity === 'critical' ? 'bad' : 'warn'}>
                              {a.severity ?? 'alert'}
                            </Badge>{' '}
                            {a.name}
                          </td>
                          <td>
                            <a href={href('monitoring', { model: a.model })}>{a.model}</a>
                          </td>
                          <td>
                            {a.metric} {a.op} {a.threshold}
                          </td>
                          <td>{fmtNumber(a.last_value)}</td>
                          <td>
                            <Time ms={a.last_fired_at} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </Card>
              ) : null}
            </div>
          );
        }}
      </Async>
      {rollback ? (
        <RollbackDialog
          deployment={rollback.name}
          live={rollback.live}
          target={rollback.rollback_to}
          onClose={() => setRollback(null)}
          onDone={state.reload}
        />
      ) : null}
    </div>
  );
}

export function DriftBadge({
  drift,
}: {
  drift: Pick<DriftSummary, 'dataset_drift' | 'drifted_columns' | 'number_of_columns' | 'drift_share'>;
}) {
  if (drift.dataset_drift) {
    return (
      <Badge tone="bad" title={`drift share ${fmtPercent(drift.drift_share)}`}>
        dataset drift · {drift.drifted_columns}/{drift.number_of_columns} features
      </Badge>
    );
  }
  if (drift.drifted_columns > 0) {
    return (
      <Badge tone="warn" title={`drift share ${fmtPercent(drift.drift_share)}`}>
        {drift.drifted_columns}/{drift.number_of_columns} features drifted
      </Badge>
    );
  }
  return <Badge tone="ok">no drift</Badge>;
}

function AttentionRow({ d, onRollback }: { d: OverviewDeployment; onRollback: () => void }) {
  const drifted = d.drift.filter((x) => x.drifted_columns > 0);
  return (
    <div class="attention-row" data-testid={`attention-${d.name}`}>
      <div class="attention-text">
        <a class="attention-name" href={href('deployments', d.name)}>
          {d.name}
        </a>
        {drifted.map((x) => (
          <div key={`${x.model}:${x.version}`}>
            <DriftBadge drift={x} /> on <b>{`${x.model}:${x.version}`}</b>
            {x.top.filter((t) => t.drifted).length > 0 ? (
              <span class="muted">
                {' '}
                — most:{' '}
                {x.top
                  .filter((t) => t.drifted)
                  .map((t) => t.feature)
                  .join(', ')}
              </span>
            ) : null}{' '}
            <span class="muted">
              (evaluated <Time ms={x.at} /> on {x.rows} predictions)
            </span>
          </div>
        ))}
        {d.alerts.map((a) => (
          <div key={a.name}>
            <Badge tone="bad">alert firing</Badge> {a.name}: {a.metric} {a.op} {a.threshold} (now{' '}
            {fmtNumber(a.last_value)})
          </div>
        ))}
        {d.status === 'errors' ? (
          <div>
            <Badge tone="warn">server errors</Badge> {fmtPercent(d.health.error_rate, 2)} of requests in the
            last 15 min
          </div>
        ) : null}
        <div class="muted">
          Live: revision {d.live.revision} ({d.live.description}), {d.live.action} by {d.live.actor}{' '}
          <Time ms={d.live.created_at} />
          {d.live.message ? ` — “${d.live.message}”` : ''}
        </div>
      </div>
      <div class="attention-actions">
        <a class="btn" href={href('monitoring', { deployment: d.name })}>
          See drift
        </a>
        {d.rollback_to ? (
          <button
            type="button"
            class="btn btn-danger"
            onClick={onRollback}
            data-testid={`rollback-${d.name}`}
          >
            Roll back to revision {d.rollback_to.revision}
          </button>
        ) : null}
      </div>
    </div>
  );
}

export function DeploymentsTable({
  deployments,
  onRollback,
}: {
  deployments: OverviewDeployment[];
  onRollback: (d: OverviewDeployment) => void;
}) {
  return (
    <table class="table">
      <thead>
        <tr>
          <th>Deployment</th>
          <th>Status</th>
          <th>Live revision and traffic split</th>
          <th class="num">Requests (15 min)</th>
          <th class="num">Errors</th>
          <th class="num">p99</th>
          <th>Drift</th>
          <th>Last change</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {deployments.map((d) => (
          <tr key={d.name} data-testid={`deployment-row-${d.name}`}>
            <td>
              <a href={href('deployments', d.name)} class="strong">
                {d.name}
              </a>
            </td>
            <td>
              {d.status === 'ok' ? (
                <Badge tone="ok">healthy</Badge>
              ) : d.status === 'errors' ? (
                <Badge tone="warn">errors</Badge>
              ) : d.drifted ? (
                <Badge tone="bad">drift</Badge>
              ) : (
                <Badge tone="bad">alert</Badge>
              )}
            </td>
            <td class="split-cell">
              <div class="muted small">
                rev {d.live.revision} · {d.live.policy}
              </div>
              <SplitBar revision={d.live} />
            </td>
            <td class="num">
              {fmtNumber(d.health.requests)}
              <div class="muted small">{fmtRate(d.health.rate_per_s)}</div>
            </td>
            <td class="num">{fmtPercent(d.health.error_rate, 2)}</td>
            <td class="num">{fmtMs(d.health.p99_ms)}</td>
            <td>
              {d.drift.length === 0 ? (
                <span class="muted">not evaluated</span>
              ) : (
                d.drift.map((x) => (
                  <div key={`${x.model}:${x.version}`}>
                    <span class="small">{`${x.model}:${x.version}`}</span> <DriftBadge drift={x} />
                  </div>
                ))
              )}
            </td>
            <td>
              <ActionBadge action={d.live.action} /> <span class="small">{d.live.actor}</span>
              <div class="muted small">
                <Time ms={d.live.created_at} />
              </div>
            </td>
            <td class="row-actions">
              <a class="btn btn-small" href={href('monitoring', { deployment: d.name })}>
                Monitor
              </a>
              {d.rollback_to ? (
                <button type="button" class="btn btn-small" onClick={() => onRollback(d)}>
                  Roll back
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
