import type { ComponentChildren } from 'preact';
import { Async, Badge, Card, Empty, KeyValues, Time } from '../components/ui';
import { fmtNumber, fmtTime, shortSha } from '../format';
import { useApi } from '../hooks';
import { href } from '../router';
import type { ModelDetail, TensorSpec, VersionDetail } from '../types';
import { DriftBadge } from './overview';

/** A model: its versions side by side, then one version in full (signature, lineage, run, where it serves). */
export function ModelPage({ name, version }: { name: string; version: string | null }) {
  const state = useApi<ModelDetail>(`api/v1/dashboard/models/${encodeURIComponent(name)}`, 30_000);
  return (
    <div class="page" data-testid="page-model">
      <div class="page-head">
        <h1>
          <a href={href('models')} class="muted">
            Models
          </a>{' '}
          / {name}
        </h1>
        <a class="btn" href={href('monitoring', { model: name })}>
          Monitoring
        </a>
      </div>
      <Async state={state}>
        {(m) => {
          const selected = m.versions.find((v) => String(v.version) === version) ?? m.versions[0];
          return (
            <div data-ready="model">
              {m.description ? <p class="lead">{m.description}</p> : null}
              <div class="chips">
                {Object.entries(m.aliases).map(([a, v]) => (
                  <span key={a} class="chip">
                    @{a} → v{v}
                  </span>
                ))}
                {Object.entries(m.tags).map(([k, v]) => (
                  <span key={k} class="chip chip-muted">
                    {k}={v}
                  </span>
                ))}
              </div>
              <Card title={`${m.versions.length} versions`} testId="versions-table">
                <table class="table">
                  <thead>
                    <tr>
                      <th>Version</th>
                      <th>Status</th>
                      <th>Aliases</th>
                      <th>Registered</th>
                      <th>Registration metrics</th>
                      <th>Run</th>
                      <th>Deployed in</th>
                      <th>Drift</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.versions.map((v) => (
                      <tr key={v.version} class={v === selected ? 'selected' : ''}>
                        <td>
                          <a class="strong" href={href('models', m.name, { v: v.version })}>
                            v{v.version}
                          </a>
                        </td>
                        <td>
                          <StatusBadge status={v.status} />
                        </td>
                        <td>
                          {v.aliases.map((a) => (
                            <span key={a} class="chip">
                              @{a}
                            </span>
                          ))}
                        </td>
                        <td>
                          <Time ms={v.created_at} />
                        </td>
                        <td class="small">
                          {Object.entries(v.metrics)
                            .map(([k, x]) => `${k} ${fmtNumber(x, 4)}`)
                            .join(' · ') || '—'}
                        </td>
                        <td class="small">
                          {v.run && !v.run.missing ? (
                            <a href={href('runs', v.run.run_id)}>{v.run.run_name ?? v.run.run_id}</a>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td>
                          {v.deployments.length === 0
                            ? '—'
                            : v.deployments.map((d) => (
                                <a key={d.deployment} class="chip" href={href('deployments', d.deployment)}>
                                  {d.deployment} {d.weight}%
                                </a>
                              ))}
                        </td>
                        <td>{v.drift ? <DriftBadge drift={v.drift} /> : <span class="muted">—</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Card>
              {selected ? <VersionCard v={selected} /> : <Empty>No versions.</Empty>}
            </div>
          );
        }}
      </Async>
    </div>
  );
}

function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={status === 'READY' ? 'ok' : status.startsWith('PENDING') ? 'info' : 'bad'}>{status}</Badge>
  );
}

function VersionCard({ v }: { v: VersionDetail }) {
  const lineage = v.lineage as {
    codeVersion?: { commit?: string | null; dirty?: boolean | null; source?: string } | null;
    producer?: { name?: string; version?: string } | null;
    environment?: Record<string, string> | null;
    modelFileSha256?: string;
    opsets?: Record<string, number> | null;
  };
  const code = lineage.codeVersion;
  return (
    <Card
      title={
        <>
          {v.name} v{v.version} <StatusBadge status={v.status} />
        </>
      }
      testId="version-detail"
      actions={
        <a class="btn btn-small" href={href('monitoring', { model: `${v.name}:${v.version}` })}>
          Monitor this version
        </a>
      }
    >
      {v.status_message ? <div class="error-box">{v.status_message}</div> : null}
      <div class="two-col">
        <Section title="Signature">
          <SignatureTable title="Inputs" specs={v.signature.inputs} />
          <SignatureTable title="Outputs" specs={v.signature.outputs} />
          {v.feature_names ? (
            <details>
              <summary>{v.feature_names.length} feature names</summary>
              <div class="small">{v.feature_names.join(', ')}</div>
            </details>
          ) : null}
          {v.class_labels ? <div class="small">Classes: {v.class_labels.join(', ')}</div> : null}
        </Section>
        <Section title="Lineage">
          <KeyValues
            rows={[
              [
                'code version',
                code?.commit ? (
                  <span>
                    <code>{shortSha(code.commit)}</code>{' '}
                    {code.dirty ? <Badge tone="warn">uncommitted changes</Badge> : null}{' '}
                    <span class="muted small">({code.source ?? 'git'})</span>
                  </span>
                ) : (
                  'unknown'
                ),
              ],
              ['model sha256', <code key="sha">{shortSha(v.sha256, 16)}</code>],
              [
                'producer',
                lineage.producer ? `${lineage.producer.name ?? ''} ${lineage.producer.version ?? ''}` : '—',
              ],
              [
                'opsets',
                lineage.opsets
                  ? Object.entries(lineage.opsets)
                      .map(([k, x]) => `${k || 'ai.onnx'} ${x}`)
                      .join(', ')
                  : '—',
              ],
              [
                'environment',
                lineage.environment
                  ? Object.entries(lineage.environment)
                      .map(([k, x]) => `${k} ${x}`)
                      .join(' · ')
                  : '—',
              ],
              ['registered', fmtTime(v.created_at)],
            ]}
          />
          <h4>Datasets</h4>
          {v.datasets.length === 0 ? (
            <span class="muted">none recorded</span>
          ) : (
            <table class="table compact">
              <thead>
                <tr>
                  <th>Role</th>
                  <th>Path</th>
                  <th class="num">Rows</th>
                  <th>Target</th>
                  <th>sha256</th>
                </tr>
              </thead>
              <tbody>
                {v.datasets.map((d) => (
                  <tr key={d.sha256 + d.role}>
                    <td>{d.role}</td>
                    <td class="clip" title={d.path}>
                      {d.path}
                    </td>
                    <td class="num">{fmtNumber(d.rows)}</td>
                    <td>{d.target ?? '—'}</td>
                    <td>
                      <code>{shortSha(d.sha256)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </div>
      <div class="two-col">
        <Section title="Training run">
          {v.run && !v.run.missing ? (
            <>
              <KeyValues
                rows={[
                  [
                    'run',
                    <a key="run" href={href('runs', v.run.run_id)}>
                      {v.run.run_name ?? v.run.run_id}
                    </a>,
                  ],
                  [
                    'experiment',
                    <a key="exp" href={href('experiments', v.run.experiment_id ?? '0')}>
                      {v.run.experiment_name ?? v.run.experiment_id}
                    </a>,
                  ],
                  ['status', v.run.status ?? '—'],
                  ['started', fmtTime(v.run.start_time)],
                  ['user', v.run.user_id ?? '—'],
                ]}
              />
              <div class="two-col tight">
                <MiniTable title="Params" rows={Object.entries(v.run.params ?? {})} />
                <MiniTable
                  title="Metrics"
                  rows={Object.entries(v.run.metrics ?? {}).map(([k, x]) => [k, fmtNumber(x, 4)])}
                />
              </div>
              {v.run.datasets && v.run.datasets.length > 0 ? (
                <div class="small">
                  Run inputs:{' '}
                  {v.run.datasets
                    .map((d) => `${d.name} (${d.context ?? 'input'}, digest ${d.digest.slice(0, 8)})`)
                    .join(', ')}
                </div>
              ) : null}
            </>
          ) : v.run?.missing ? (
            <span class="muted">run {v.run.run_id} no longer exists</span>
          ) : (
            <span class="muted">Registered from a file, not from a tracked run.</span>
          )}
        </Section>
        <Section title="In production">
          <MiniTable
            title="Registration metrics (the baseline)"
            rows={Object.entries(v.metrics).map(([k, x]) => [k, fmtNumber(x, 4)])}
          />
          <h4>Deployed in</h4>
          {v.deployments.length === 0 ? (
            <span class="muted">no deployment sends it traffic</span>
          ) : (
            <ul class="plain">
              {v.deployments.map((d) => (
                <li key={d.deployment}>
                  <a href={href('deployments', d.deployment)}>{d.deployment}</a> — revision {d.revision},{' '}
                  {d.role}, {d.weight}%
                </li>
              ))}
            </ul>
          )}
          <h4>Drift</h4>
          {v.drift ? (
            <div>
              <DriftBadge drift={v.drift} />{' '}
              <span class="muted small">
                evaluated <Time ms={v.drift.at} />
              </span>
            </div>
          ) : (
            <span class="muted">not evaluated</span>
          )}
          {v.quality ? (
            <>
              <h4>Live quality vs baseline</h4>
              <MiniTable
                title=""
                rows={Object.entries(v.quality.metrics).map(([k, x]) => {
                  const b = v.quality!.baseline[k];
                  return [
                    k,
                    b ? `${fmtNumber(x, 4)} (baseline ${fmtNumber(b.baseline, 4)})` : fmtNumber(x, 4),
                  ];
                })}
              />
            </>
          ) : null}
        </Section>
      </div>
    </Card>
  );
}

function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function SignatureTable({ title, specs }: { title: string; specs: TensorSpec[] }) {
  return (
    <table class="table compact signature" data-testid={`signature-${title.toLowerCase()}`}>
      <thead>
        <tr>
          <th>{title}</th>
          <th>Datatype</th>
          <th>Shape</th>
        </tr>
      </thead>
      <tbody>
        {specs.map((s) => (
          <tr key={s.name}>
            <td>
              <code>{s.name}</code>
            </td>
            <td>{s.datatype}</td>
            <td>
              <code>[{s.shape.map((d, i) => (d === -1 ? (s.dim_names?.[i] ?? '-1') : d)).join(', ')}]</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MiniTable({ title, rows }: { title: string; rows: [string, ComponentChildren][] }) {
  return (
    <div>
      {title ? <h4>{title}</h4> : null}
      {rows.length === 0 ? (
        <span class="muted">none</span>
      ) : (
        <table class="table compact">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td class="num">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
