import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api';
import { TimeChart } from '../components/time-chart';
import { Async, Badge, Card, Empty, ErrorBox, KeyValues, Loading, Time } from '../components/ui';
import { fmtDuration, fmtNumber, fmtTime } from '../format';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import type { Experiment, MlflowRun } from '../types';

const PAGE = 50;

export function ExperimentsPage() {
  const state = useApi<{ experiments: Experiment[] }>('api/v1/dashboard/experiments');
  return (
    <div class="page" data-testid="page-experiments">
      <div class="page-head">
        <h1>Experiments</h1>
        <span class="muted">MLflow tracking: point MLFLOW_TRACKING_URI at this server</span>
      </div>
      <Async state={state}>
        {(d) => (
          <Card title={`${d.experiments.length} experiments`}>
            <table class="table" data-testid="experiments-table">
              <thead>
                <tr>
                  <th>Experiment</th>
                  <th>Id</th>
                  <th class="num">Runs</th>
                  <th>Newest run</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {d.experiments.map((e) => (
                  <tr key={e.experiment_id}>
                    <td>
                      <a class="strong" href={href('experiments', e.experiment_id)}>
                        {e.name}
                      </a>
                    </td>
                    <td>{e.experiment_id}</td>
                    <td class="num">{fmtNumber(e.runs)}</td>
                    <td>
                      <Time ms={e.last_run_at} />
                    </td>
                    <td>{fmtTime(e.creation_time)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </Async>
    </div>
  );
}

interface SearchPage {
  runs?: MlflowRun[];
  next_page_token?: string;
}

/** `metrics.accuracy` → "metrics.`accuracy`", as MLflow's order_by grammar quotes keys. */
function orderKey(kind: 'metrics' | 'params' | 'attributes', key: string): string {
  return kind === 'attributes' ? `attributes.${key}` : `${kind}.\`${key}\``;
}

/**
 * The runs of an experiment: filtered with MLflow's search grammar and sorted on the server
 * (`runs/search`), 50 at a time; pick runs to compare them.
 */
export function RunsPage({ experimentId, query }: { experimentId: string; query: URLSearchParams }) {
  const filter = query.get('filter') ?? '';
  const order = query.get('order') ?? 'attributes.start_time DESC';
  const [text, setText] = useState(filter);
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<SearchPage | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<string[]>([]);
  const experiments = useApi<{ experiments: Experiment[] }>('api/v1/dashboard/experiments');
  const columns = useApi<{ params: string[]; metrics: string[]; tags: string[] }>(
    `api/v1/dashboard/runs/columns${qs({ experiment_ids: experimentId })}`,
  );
  const [shown, setShown] = useState<{ metrics: string[]; params: string[] } | null>(null);
  useEffect(() => {
    if (columns.data && shown === null) {
      setShown({ metrics: columns.data.metrics.slice(0, 6), params: columns.data.params.slice(0, 5) });
    }
  }, [columns.data]);
  useEffect(() => {
    setTokens([null]);
    setText(filter);
  }, [experimentId, filter, order]);
  const token = tokens[tokens.length - 1];
  useEffect(() => {
    let live = true;
    setLoading(true);
    api<SearchPage>('api/2.0/mlflow/runs/search', {
      method: 'POST',
      body: {
        experiment_ids: [experimentId],
        filter,
        max_results: PAGE,
        order_by: [order],
        ...(token ? { page_token: token } : {}),
      },
    }).then(
      (p) => {
        if (!live) return;
        setPage(p);
        setError(null);
        setLoading(false);
      },
      (e: Error) => {
        if (!live) return;
        setError(e);
        setPage(null);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [experimentId, filter, order, token]);

  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    navigate(`#/experiments/${encodeURIComponent(experimentId)}?${next.toString()}`);
  };
  const sortBy = (key: string) => {
    const [current, dir] = order.split(/ (?=ASC$|DESC$)/);
    set({ order: `${key} ${current === key && dir === 'DESC' ? 'ASC' : 'DESC'}` });
  };
  const arrow = (key: string) => (order.startsWith(`${key} `) ? (order.endsWith('DESC') ? ' ▼' : ' ▲') : '');
  const exp = experiments.data?.experiments.find((e) => e.experiment_id === experimentId);
  const runs = page?.runs ?? [];
  const from = (tokens.length - 1) * PAGE;

  return (
    <div class="page" data-testid="page-runs">
      <div class="page-head">
        <h1>
          <a href={href('experiments')} class="muted">
            Experiments
          </a>{' '}
          / {exp?.name ?? experimentId}
        </h1>
        <span class="muted">{exp ? `${fmtNumber(exp.runs)} runs` : ''}</span>
      </div>
      <form
        class="filter-bar"
        onSubmit={(e) => {
          e.preventDefault();
          set({ filter: text.trim() });
        }}
      >
        <input
          type="text"
          class="filter-input"
          value={text}
          placeholder="metrics.accuracy > 0.9 and params.max_depth = '4' and attributes.status = 'FINISHED'"
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          aria-label="MLflow search filter"
          data-testid="runs-filter"
        />
        <button type="submit" class="btn btn-primary">
          Filter
        </button>
        {filter ? (
          <button type="button" class="btn" onClick={() => set({ filter: null })}>
            Clear
          </button>
        ) : null}
        <ColumnPicker all={columns.data} shown={shown} onChange={setShown} />
      </form>
      {error ? <ErrorBox error={error} /> : null}
      <Card
        title={
          <span data-testid="runs-range">
            {loading && !page
              ? 'Loading…'
              : runs.length === 0
                ? 'No run matches'
                : `Runs ${from + 1}–${from + runs.length}`}
            {filter ? <span class="muted small"> matching “{filter}”</span> : null}
          </span>
        }
        actions={
          <>
            <button
              type="button"
              class="btn btn-primary btn-small"
              disabled={selected.length < 2}
              onClick={() => navigate(href('compare', { runs: selected.join(',') }))}
              data-testid="compare"
            >
              Compare {selected.length > 0 ? `(${selected.length})` : ''}
            </button>
            <div class="pager">
              <button
                type="button"
                class="btn btn-small"
                disabled={tokens.length <= 1}
                onClick={() => setTokens((t) => t.slice(0, -1))}
              >
                ← Previous
              </button>
              <button
                type="button"
                class="btn btn-small"
                disabled={!page?.next_page_token}
                onClick={() => setTokens((t) => [...t, page!.next_page_token!])}
                data-testid="runs-next"
              >
                Next →
              </button>
            </div>
          </>
        }
      >
        {page === null && !error ? (
          <Loading />
        ) : runs.length === 0 ? (
          <Empty>No run matches.</Empty>
        ) : (
          <div class="table-scroll">
            <table class="table runs-table" data-testid="runs-table">
              <thead>
                <tr class="group-row">
                  <th colSpan={5} />
                  {shown?.metrics.length ? <th colSpan={shown.metrics.length}>Metrics</th> : null}
                  {shown?.params.length ? <th colSpan={shown.params.length}>Params</th> : null}
                </tr>
                <tr>
                  <th />
                  <th>
                    <button type="button" class="sort" onClick={() => sortBy('attributes.run_name')}>
                      Run{arrow('attributes.run_name')}
                    </button>
                  </th>
                  <th>
                    <button type="button" class="sort" onClick={() => sortBy('attributes.status')}>
                      Status{arrow('attributes.status')}
                    </button>
                  </th>
                  <th>
                    <button type="button" class="sort" onClick={() => sortBy('attributes.start_time')}>
                      Started{arrow('attributes.start_time')}
                    </button>
                  </th>
                  <th>Duration</th>
                  {shown?.metrics.map((k) => (
                    <th key={`m-${k}`} class="num metric-col">
                      <button type="button" class="sort" onClick={() => sortBy(orderKey('metrics', k))}>
                        {k}
                        {arrow(orderKey('metrics', k))}
                      </button>
                    </th>
                  ))}
                  {shown?.params.map((k) => (
                    <th key={`p-${k}`} class="param-col">
                      <button type="button" class="sort" onClick={() => sortBy(orderKey('params', k))}>
                        {k}
                        {arrow(orderKey('params', k))}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const metrics = Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, m.value]));
                  const params = Object.fromEntries((r.data.params ?? []).map((p) => [p.key, p.value]));
                  const on = selected.includes(r.info.run_id);
                  return (
                    <tr key={r.info.run_id} class={on ? 'selected' : ''}>
                      <td>
                        <input
                          type="checkbox"
                          checked={on}
                          aria-label={`select ${r.info.run_name ?? r.info.run_id}`}
                          onChange={() =>
                            setSelected((s) =>
                              on ? s.filter((x) => x !== r.info.run_id) : [...s, r.info.run_id],
                            )
                          }
                        />
                      </td>
                      <td>
                        <a href={href('runs', r.info.run_id)}>
                          {r.info.run_name ?? r.info.run_id.slice(0, 8)}
                        </a>
                      </td>
                      <td>
                        <RunStatus status={r.info.status} />
                      </td>
                      <td>
                        <Time ms={r.info.start_time} />
                      </td>
                      <td>{r.info.end_time ? fmtDuration(r.info.end_time - r.info.start_time) : '—'}</td>
                      {shown?.metrics.map((k) => (
                        <td key={`m-${k}`} class="num">
                          {fmtNumber(metrics[k], 4)}
                        </td>
                      ))}
                      {shown?.params.map((k) => (
                        <td key={`p-${k}`}>{params[k] ?? '—'}</td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <p class="muted small">
        Filter grammar as in MLflow: <code>metrics.rmse &lt; 1</code>, <code>params.model = 'gbdt'</code>,{' '}
        <code>tags.team = 'risk'</code>, <code>attributes.status = 'FINISHED'</code>,{' '}
        <code>run_name LIKE 'cv-%'</code>, joined with <code>and</code>. Click a column header to sort on the
        server.
      </p>
    </div>
  );
}

function ColumnPicker({
  all,
  shown,
  onChange,
}: {
  all: { params: string[]; metrics: string[] } | null;
  shown: { metrics: string[]; params: string[] } | null;
  onChange: (s: { metrics: string[]; params: string[] }) => void;
}) {
  if (!all || !shown) return null;
  const toggle = (kind: 'metrics' | 'params', key: string) => {
    const list = shown[kind];
    onChange({ ...shown, [kind]: list.includes(key) ? list.filter((k) => k !== key) : [...list, key] });
  };
  return (
    <details class="column-picker">
      <summary class="btn">Columns</summary>
      <div class="column-picker-body">
        {(['metrics', 'params'] as const).map((kind) => (
          <div key={kind}>
            <h4>{kind}</h4>
            {all[kind].map((k) => (
              <label key={k} class="check">
                <input type="checkbox" checked={shown[kind].includes(k)} onChange={() => toggle(kind, k)} />{' '}
                {k}
              </label>
            ))}
          </div>
        ))}
      </div>
    </details>
  );
}

function RunStatus({ status }: { status: string }) {
  const tone =
    status === 'FINISHED' ? 'ok' : status === 'RUNNING' ? 'info' : status === 'FAILED' ? 'bad' : 'muted';
  return <Badge tone={tone}>{status.toLowerCase()}</Badge>;
}

interface Histories {
  metrics: {
    key: string;
    steps: number[];
    series: { run_id: string; run_name: string; values: (number | null)[] }[];
  }[];
}

function HistoryCharts({ runIds }: { runIds: string[] }) {
  const state = useApi<Histories>(`api/v1/dashboard/runs/metric-history${qs({ run_ids: runIds.join(',') })}`);
  return (
    <Async state={state}>
      {(h) =>
        h.metrics.length === 0 ? (
          <Empty>No metric logged.</Empty>
        ) : (
          <div class="chart-grid" data-testid="metric-charts">
            {h.metrics.map((m) => (
              <TimeChart
                key={m.key}
                title={m.key}
                t={m.steps}
                xTime={false}
                xLabel="step"
                height={200}
                series={m.series.map((s, i) => ({
                  label: s.run_name || s.run_id.slice(0, 8),
                  values: s.values,
                  color: i,
                }))}
              />
            ))}
          </div>
        )
      }
    </Async>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const state = useApi<{ run: MlflowRun }>(`api/2.0/mlflow/runs/get${qs({ run_id: runId })}`);
  return (
    <div class="page" data-testid="page-run">
      <Async state={state}>
        {({ run }) => (
          <div data-ready="run">
            <div class="page-head">
              <h1>
                <a href={href('experiments', run.info.experiment_id)} class="muted">
                  Experiment {run.info.experiment_id}
                </a>{' '}
                / {run.info.run_name ?? run.info.run_id}
              </h1>
              <RunStatus status={run.info.status} />
            </div>
            <div class="two-col">
              <Card title="Run">
                <KeyValues
                  rows={[
                    ['run id', <code key="id">{run.info.run_id}</code>],
                    ['user', run.info.user_id ?? '—'],
                    ['started', fmtTime(run.info.start_time)],
                    [
                      'duration',
                      run.info.end_time ? fmtDuration(run.info.end_time - run.info.start_time) : '—',
                    ],
                    [
                      'datasets',
                      (run.inputs?.dataset_inputs ?? [])
                        .map((d) => `${d.dataset.name} (${d.dataset.digest.slice(0, 8)})`)
                        .join(', ') || '—',
                    ],
                  ]}
                />
                <h4>Tags</h4>
                <KeyValues
                  rows={(run.data.tags ?? [])
                    .filter((t) => !t.key.startsWith('mlflow.log-model'))
                    .map((t) => [t.key, t.value])}
                />
              </Card>
              <div>
                <Card title="Params">
                  <KeyValues rows={(run.data.params ?? []).map((p) => [p.key, p.value])} />
                </Card>
                <Card title="Metrics (latest)">
                  <KeyValues
                    rows={(run.data.metrics ?? []).map((m) => [
                      m.key,
                      `${fmtNumber(m.value, 5)} (step ${m.step})`,
                    ])}
                  />
                </Card>
              </div>
            </div>
            <Card title="Metric history">
              <HistoryCharts runIds={[run.info.run_id]} />
            </Card>
          </div>
        )}
      </Async>
    </div>
  );
}

/** Selected runs side by side: their params and metrics in one table (differences marked), then their histories overlaid. */
export function CompareRunsPage({ ids }: { ids: string[] }) {
  const [runs, setRuns] = useState<MlflowRun[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    Promise.all(
      ids.map((id) => api<{ run: MlflowRun }>(`api/2.0/mlflow/runs/get${qs({ run_id: id })}`)),
    ).then((rs) => setRuns(rs.map((r) => r.run)), setError);
  }, [ids.join(',')]);
  const rows = useMemo(() => {
    if (!runs) return [];
    const table = (kind: 'params' | 'metrics') => {
      const maps = runs.map((r) =>
        Object.fromEntries(
          kind === 'params'
            ? (r.data.params ?? []).map((p) => [p.key, p.value])
            : (r.data.metrics ?? []).map((m) => [m.key, fmtNumber(m.value, 5)]),
        ),
      );
      const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
      return keys.map((k) => ({ kind, key: k, values: maps.map((m) => m[k] ?? '—') }));
    };
    return [...table('params'), ...table('metrics')];
  }, [runs]);
  if (ids.length === 0) return <Empty>Select runs on an experiment's page, then Compare.</Empty>;
  return (
    <div class="page" data-testid="page-compare">
      <div class="page-head">
        <h1>Compare {ids.length} runs</h1>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {runs ? (
        <>
          <Card title="Side by side">
            <div class="table-scroll">
              <table class="table compare-table" data-testid="compare-table">
                <thead>
                  <tr>
                    <th />
                    {runs.map((r) => (
                      <th key={r.info.run_id}>
                        <a href={href('runs', r.info.run_id)}>
                          {r.info.run_name ?? r.info.run_id.slice(0, 8)}
                        </a>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => {
                    const differs = new Set(row.values).size > 1;
                    return (
                      <tr key={`${row.kind}-${row.key}`} class={differs ? 'differs' : ''}>
                        <th>
                          <span class="muted small">{row.kind === 'params' ? 'param' : 'metric'}</span>{' '}
                          {row.key}
                        </th>
                        {row.values.map((v, i) => (
                          <td key={runs[i].info.run_id} class={row.kind === 'metrics' ? 'num' : ''}>
                            {v}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p class="muted small">Rows where the runs differ are highlighted.</p>
          </Card>
          <Card title="Metric histories">
            <HistoryCharts runIds={ids} />
          </Card>
        </>
      ) : error ? null : (
        <Loading />
      )}
    </div>
  );
}
