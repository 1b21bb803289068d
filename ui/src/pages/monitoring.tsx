import { useEffect, useMemo, useState } from 'preact/hooks';
import { qs } from '../api';
import { BarChart } from '../components/bar-chart';
import { DriftHeatmap } from '../components/heatmap';
import { TimeChart } from '../components/time-chart';
import { TrafficCharts } from '../components/traffic-charts';
import { Async, Badge, Card, Empty, ErrorBox, KeyValues, Loading, RangePicker, Time } from '../components/ui';
import { fmtNumber, fmtPercent, fmtTime } from '../format';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import type {
  AlertEvent,
  AlertRuleView,
  DeploymentDetail,
  Distribution,
  Heatmap,
  ModelDetail,
  QualityReport,
  StoredResult,
  Traffic,
} from '../types';

/**
 * Monitoring of a deployment (its live versions) or of a model: traffic over time, the drift heat
 * map with each cell's distributions, live quality against the registration baseline, alerts.
 */
export function MonitoringPage({ query }: { query: URLSearchParams }) {
  const deployment = query.get('deployment');
  const model = query.get('model');
  const since = query.get('since') ?? '6h';
  const deployments = useApi<{ deployments: { name: string }[] }>('api/v1/deployments');
  const noDeployment = deployments.data !== null && deployments.data.deployments.length === 0;
  const firstModel = useApi<{ models: { name: string }[] }>(
    !deployment && !model && noDeployment ? 'api/v1/dashboard/models?limit=1' : null,
  );
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    navigate(`#/monitoring?${next.toString()}`);
  };
  // Nothing chosen: the first deployment, else the first model.
  useEffect(() => {
    if (deployment || model) return;
    if (deployments.data?.deployments.length) set({ deployment: deployments.data.deployments[0].name });
    else if (firstModel.data?.models.length) set({ model: firstModel.data.models[0].name });
  }, [deployment, model, deployments.data, firstModel.data]);

  return (
    <div class="page" data-testid="page-monitoring">
      <div class="page-head">
        <h1>Monitoring</h1>
        <div class="toolbar">
          <label class="inline-field">
            Deployment{' '}
            <select
              value={deployment ?? ''}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                set({ deployment: v || null, model: null, v: null });
              }}
            >
              <option value="">—</option>
              {deployments.data?.deployments.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <form
            class="inline-field"
            onSubmit={(e) => {
              e.preventDefault();
              const v = String(new FormData(e.target as HTMLFormElement).get('model') ?? '').trim();
              if (v) set({ model: v, deployment: null, v: null });
            }}
          >
            or model{' '}
            <input
              name="model"
              placeholder="name or name:version"
              value={model ?? ''}
              key={model ?? ''}
              size={22}
            />
          </form>
          <RangePicker value={since} onChange={(v) => set({ since: v })} />
        </div>
      </div>
      {deployment ? (
        <DeploymentMonitoring
          name={deployment}
          since={since}
          version={query.get('v')}
          onVersion={(v) => set({ v })}
        />
      ) : model ? (
        <ModelMonitoring
          refText={model}
          since={since}
          version={query.get('v')}
          onVersion={(v) => set({ v })}
        />
      ) : deployments.data ? (
        <Empty>Choose a deployment or type a model name above.</Empty>
      ) : (
        <Loading />
      )}
    </div>
  );
}

function DeploymentMonitoring({
  name,
  since,
  version,
  onVersion,
}: {
  name: string;
  since: string;
  version: string | null;
  onVersion: (v: string) => void;
}) {
  const detail = useApi<DeploymentDetail>(`api/v1/dashboard/deployments/${encodeURIComponent(name)}`, 15_000);
  const traffic = useApi<Traffic>(
    `api/v1/dashboard/traffic${qs({ deployment: name, since, points: 120 })}`,
    15_000,
  );
  const versions = detail.data?.live.targets.map((t) => `${t.name}:${t.version}`) ?? [];
  // Versions drifting first, so the heat map opens where the trouble is.
  const drifting =
    detail.data?.drift.filter((x) => x.drifted_columns > 0).map((x) => `${x.model}:${x.version}`) ?? [];
  const chosen = version && versions.includes(version) ? version : (drifting[0] ?? versions[0] ?? null);
  return (
    <>
      <Card title={`Traffic of ${name}`} testId="monitoring-traffic">
        <Async state={traffic}>{(t) => <TrafficCharts traffic={t} />}</Async>
      </Card>
      {detail.error && !detail.data ? <ErrorBox error={detail.error} /> : null}
      {chosen ? (
        <VersionMonitoring
          refText={chosen}
          versions={versions}
          onVersion={onVersion}
          since={since}
          deployment={name}
        />
      ) : detail.data ? null : (
        <Loading />
      )}
    </>
  );
}

function ModelMonitoring({
  refText,
  since,
  version,
  onVersion,
}: {
  refText: string;
  since: string;
  version: string | null;
  onVersion: (v: string) => void;
}) {
  const name = refText.split(/[:@]/)[0];
  const model = useApi<ModelDetail>(`api/v1/dashboard/models/${encodeURIComponent(name)}`);
  const traffic = useApi<Traffic>(
    `api/v1/dashboard/traffic${qs({ model: refText, since, points: 120 })}`,
    15_000,
  );
  const versions = model.data?.versions.map((v) => `${v.name}:${v.version}`) ?? [];
  const fromRef = refText.includes(':') ? refText : null;
  const drifting = model.data?.versions.find((v) => v.drift && v.drift.drifted_columns > 0);
  const chosen =
    (version && versions.includes(version) ? version : null) ??
    fromRef ??
    (drifting ? `${drifting.name}:${drifting.version}` : (versions[0] ?? null));
  return (
    <>
      <Card title={`Traffic of ${refText}`} testId="monitoring-traffic">
        <Async state={traffic}>{(t) => <TrafficCharts traffic={t} />}</Async>
      </Card>
      {model.error ? <ErrorBox error={model.error} /> : null}
      {chosen ? (
        <VersionMonitoring
          refText={chosen}
          versions={versions}
          onVersion={onVersion}
          since={since}
          deployment={null}
        />
      ) : model.data ? null : (
        <Loading />
      )}
    </>
  );
}

function VersionMonitoring({
  refText,
  versions,
  onVersion,
  since,
  deployment,
}: {
  refText: string;
  versions: string[];
  onVersion: (v: string) => void;
  since: string;
  deployment: string | null;
}) {
  const heatmap = useApi<Heatmap>(`api/v1/dashboard/drift/heatmap${qs({ model: refText, since })}`, 30_000);
  const [cell, setCell] = useState<{ feature: string; window: number } | null>(null);
  useEffect(() => setCell(null), [refText, since]);
  const picker =
    versions.length > 1 ? (
      <fieldset class="segmented" aria-label="Version">
        {versions.map((v) => (
          <button
            key={v}
            type="button"
            class={v === refText ? 'active' : ''}
            aria-pressed={v === refText}
            onClick={() => onVersion(v)}
          >
            {v}
          </button>
        ))}
      </fieldset>
    ) : null;
  return (
    <>
      <Card
        title={
          <>
            Feature drift of <span data-testid="heatmap-version">{refText}</span>
          </>
        }
        actions={picker}
        testId="drift-card"
      >
        <Async state={heatmap}>
          {(h) =>
            h.windows.length === 0 ? (
              <Empty>
                No drift evaluation of {refText} in the last {since}. The server evaluates drift every few
                minutes on the logged predictions (<code>slipway monitor evaluate</code> runs one now).
              </Empty>
            ) : (
              <div>
                <WindowStrip h={h} />
                <DriftHeatmap
                  data={h}
                  selected={cell}
                  onSelect={(feature, window) => setCell({ feature, window })}
                />
                {cell ? (
                  <DistributionPanel
                    h={h}
                    feature={cell.feature}
                    window={cell.window}
                    deployment={deployment}
                  />
                ) : (
                  <p class="muted">
                    Click a cell to compare that feature's reference and current distributions.
                  </p>
                )}
              </div>
            )
          }
        </Async>
      </Card>
      <QualityCard refText={refText} since={since} />
      <AlertsCard model={refText.split(/[:@]/)[0]} />
    </>
  );
}

/** The newest window's verdict, and since when its drifted features have drifted without a break. */
function WindowStrip({ h }: { h: Heatmap }) {
  const last = h.windows[h.windows.length - 1];
  return (
    <div class="window-strip" data-testid="drift-summary">
      <div>
        Newest window: <b>{fmtTime(last.window_end)}</b>, {fmtNumber(last.rows)} predictions,{' '}
        {last.drifted_columns}/{last.number_of_columns} features drifted (share {fmtPercent(last.drift_share)}
        )
        {last.dataset_drift ? (
          <>
            {' '}
            <Badge tone="bad">dataset drift</Badge>
          </>
        ) : null}
      </div>
      {h.drifting_since !== null ? (
        <div>
          <Badge tone="bad">drifting</Badge> {h.drifting_features.join(', ')} — in every window since{' '}
          <b>{fmtTime(h.drifting_since)}</b>
        </div>
      ) : (
        <div class="muted">No feature drifted in the newest window.</div>
      )}
    </div>
  );
}

function DistributionPanel({
  h,
  feature,
  window,
  deployment,
}: {
  h: Heatmap;
  feature: string;
  window: number;
  deployment: string | null;
}) {
  const w = h.windows[window];
  const f = h.features.find((x) => x.name === feature)!;
  const dist = useApi<Distribution>(
    `api/v1/dashboard/drift/distribution${qs({
      model: `${h.model}:${w.version}`,
      feature,
      from: w.window_start,
      until: w.window_end,
      newest: w.rows,
      deployment,
    })}`,
  );
  const groups = useMemo(
    () =>
      dist.data
        ? [
            {
              label: `reference (${fmtNumber(dist.data.reference_rows)} rows)`,
              values: dist.data.reference,
              color: 6,
            },
            {
              label: `current (${fmtNumber(dist.data.current_rows)} rows)`,
              values: dist.data.current,
              color: 5,
            },
          ]
        : [],
    [dist.data],
  );
  return (
    <div class="distribution" data-testid="distribution">
      <h3>
        {feature} <span class="muted">in the window ending {fmtTime(w.window_end)}</span>{' '}
        {f.drifted[window] ? <Badge tone="bad">drifted</Badge> : <Badge tone="ok">no drift</Badge>}
      </h3>
      <div class="distribution-grid">
        <Async state={dist}>
          {(d) => (
            <BarChart
              title={`Share of rows per bin: reference (training data) beside current (logged predictions)`}
              bins={d.bins}
              groups={groups}
              unit={(v) => fmtPercent(v, 0)}
              testId="chart-distribution"
            />
          )}
        </Async>
        <KeyValues
          rows={[
            ['test', f.method],
            ['statistic', fmtNumber(f.statistic[window])],
            ['p-value', f.p_value[window] === null ? 'n/a (a distance)' : fmtNumber(f.p_value[window])],
            ['threshold', String(f.threshold)],
            ['drift score', `${fmtNumber(f.score[window])} (1 = threshold)`],
            ['window', `${fmtTime(w.window_start)} → ${fmtTime(w.window_end)}`],
            [
              'rows compared',
              `${fmtNumber(dist.data?.current_rows ?? w.rows)} current · ${fmtNumber(dist.data?.reference_rows)} reference`,
            ],
            ['reference', dist.data?.reference_dataset?.dataset.split(/[\\/]/).pop() ?? '—'],
          ]}
        />
      </div>
    </div>
  );
}

function QualityCard({ refText, since }: { refText: string; since: string }) {
  const live = useApi<QualityReport>(`api/v1/monitoring/quality${qs({ model: refText, since })}`, 30_000);
  const history = useApi<{ results: StoredResult[] }>(
    `api/v1/monitoring/results${qs({ model: refText, kind: 'quality', since, limit: 500 })}`,
    30_000,
  );
  const chart = useMemo(() => {
    const results = [...(history.data?.results ?? [])].reverse();
    const keys = [
      ...new Set(results.flatMap((r) => Object.keys((r.result.metrics as Record<string, number>) ?? {}))),
    ];
    return {
      t: results.map((r) => r.at),
      series: keys.map((k, i) => ({
        label: k,
        values: results.map((r) => (r.result.metrics as Record<string, number> | undefined)?.[k] ?? null),
        color: i,
      })),
    };
  }, [history.data]);
  return (
    <Card title={`Live quality of ${refText} (labelled predictions, last ${since})`} testId="quality-card">
      <Async state={live}>
        {(q) =>
          q.labelled === 0 ? (
            <Empty>
              {fmtNumber(q.predictions)} predictions in the window, none labelled yet. Labels arrive through{' '}
              <code>POST /api/v1/feedback</code> (by request id or prediction key).
            </Empty>
          ) : (
            <div class="quality-grid">
              <table class="table" data-testid="quality-table">
                <thead>
                  <tr>
                    <th>Metric</th>
                    <th class="num">Live</th>
                    <th class="num">Baseline (at registration)</th>
                    <th class="num">Change</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(q.metrics).map(([k, v]) => {
                    const b = q.baseline[k];
                    return (
                      <tr key={k}>
                        <td>{k}</td>
                        <td class="num">{fmtNumber(v, 4)}</td>
                        <td class="num">{b ? fmtNumber(b.baseline, 4) : '—'}</td>
                        <td class="num">{b ? `${b.delta >= 0 ? '+' : ''}${fmtNumber(b.delta, 3)}` : '—'}</td>
                        <td>
                          {b ? (
                            b.worse ? (
                              <Badge tone="bad">worse</Badge>
                            ) : (
                              <Badge tone="ok">as good or better</Badge>
                            )
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <div class="muted small">
                {fmtNumber(q.labelled)} labelled of {fmtNumber(q.predictions)} predictions
                {q.skipped ? `, ${q.skipped} skipped` : ''} · task {q.task ?? '—'}
              </div>
              <TimeChart
                title="Quality at each scheduled evaluation"
                t={chart.t}
                series={chart.series}
                testId="chart-quality"
                height={180}
                empty="No stored quality evaluation in this range."
              />
            </div>
          )
        }
      </Async>
    </Card>
  );
}

function AlertsCard({ model }: { model: string }) {
  const rules = useApi<{ rules: AlertRuleView[] }>('api/v1/alerts', 30_000);
  const history = useApi<{ events: AlertEvent[] }>(`api/v1/alerts/history${qs({ limit: 200 })}`, 30_000);
  const mine = (rules.data?.rules ?? []).filter((r) => String(r.rule.model).split(/[:@]/)[0] === model);
  const names = new Set(mine.map((r) => r.rule.name));
  const events = (history.data?.events ?? []).filter((e) => names.has(e.rule));
  return (
    <Card title={`Alerts on ${model}`} testId="alerts-card">
      {rules.error ? <ErrorBox error={rules.error} /> : null}
      {mine.length === 0 ? (
        <Empty>
          No alert rule watches {model}. <code>POST /api/v1/alerts</code> or <code>slipway alerts add</code>{' '}
          makes one.
        </Empty>
      ) : (
        <>
          <table class="table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Condition</th>
                <th>State</th>
                <th class="num">Last value</th>
                <th>Last evaluated</th>
              </tr>
            </thead>
            <tbody>
              {mine.map((r) => (
                <tr key={r.rule.name}>
                  <td>{r.rule.name}</td>
                  <td>
                    {r.rule.metric}
                    {r.rule.feature ? `(${r.rule.feature})` : ''} {String(r.rule.op)}{' '}
                    {String(r.rule.threshold)} over {String(r.rule.window ?? '')}
                  </td>
                  <td>{r.state.firing ? <Badge tone="bad">firing</Badge> : <Badge tone="ok">ok</Badge>}</td>
                  <td class="num">{fmtNumber(r.state.last_value)}</td>
                  <td>
                    <Time ms={r.state.last_evaluated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>History</h3>
          {events.length === 0 ? (
            <Empty>No firing yet.</Empty>
          ) : (
            <table class="table" data-testid="alert-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Rule</th>
                  <th>Event</th>
                  <th class="num">Value</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.id}>
                    <td>{fmtTime(e.at)}</td>
                    <td>{e.rule}</td>
                    <td>
                      {e.kind === 'fired' ? (
                        <Badge tone="bad">fired</Badge>
                      ) : (
                        <Badge tone="ok">resolved</Badge>
                      )}
                    </td>
                    <td class="num">{fmtNumber(e.value)}</td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <p class="muted small">
        <a href={href('models', model)}>Model page of {model}</a>
      </p>
    </Card>
  );
}
