import { useState } from 'preact/hooks';
import { qs } from '../api';
import { Async, Badge, Card, Empty, KeyValues, Time, type Tone } from '../components/ui';
import { fmtDuration, fmtNumber, fmtPercent, fmtTime, shortSha } from '../format';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import type { Job } from '../types';

const PAGE = 50;
const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Batch prediction jobs, newest first: status, progress, row counts; one opened with its provenance. */
export function JobsPage({ selected }: { selected: string | null }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useApi<{ jobs: Job[]; next_offset: number | null }>(
    `api/v1/jobs${qs({ status, limit: PAGE, offset })}`,
    5_000,
  );
  return (
    <div class="page" data-testid="page-jobs">
      <div class="page-head">
        <h1>Batch jobs</h1>
        <label class="inline-field">
          Status{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus((e.target as HTMLSelectElement).value);
              setOffset(0);
            }}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'all' : s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      {selected ? <JobDetail id={selected} /> : null}
      <Async state={list}>
        {(d) => (
          <Card
            title={d.jobs.length === 0 ? 'No jobs' : `Jobs ${offset + 1}–${offset + d.jobs.length}`}
            actions={
              <div class="pager">
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={offset === 0}
                  onClick={() => setOffset(Math.max(0, offset - PAGE))}
                >
                  ← Previous
                </button>
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={d.next_offset === null}
                  onClick={() => setOffset(d.next_offset ?? 0)}
                >
                  Next →
                </button>
              </div>
            }
          >
            {d.jobs.length === 0 ? (
              <Empty>
                No batch job{status ? ` ${status.toLowerCase()}` : ''} yet.{' '}
                <code>slipway predict MODEL --input F --output G</code> or <code>POST /api/v1/jobs</code>{' '}
                starts one.
              </Empty>
            ) : (
              <table class="table" data-testid="jobs-table">
                <thead>
                  <tr>
                    <th>Job</th>
                    <th>Status</th>
                    <th>Model</th>
                    <th>Input → output</th>
                    <th>Progress</th>
                    <th class="num">Read</th>
                    <th class="num">Written</th>
                    <th class="num">Rejected</th>
                    <th>Started</th>
                    <th>Took</th>
                  </tr>
                </thead>
                <tbody>
                  {d.jobs.map((j) => (
                    <tr
                      key={j.id}
                      class={`clickable ${j.id === selected ? 'selected' : ''}`}
                      onClick={() => navigate(href('jobs', j.id))}
                    >
                      <td>
                        <a href={href('jobs', j.id)}>
                          <code>{j.id.slice(0, 8)}</code>
                        </a>
                        {j.shard ? (
                          <span class="muted small">
                            {' '}
                            shard {j.shard.index}/{j.shard.count}
                          </span>
                        ) : null}
                      </td>
                      <td>
                        <JobStatus job={j} />
                      </td>
                      <td>
                        <a
                          href={href('models', j.model.name, { v: j.model.version })}
                          onClick={(e) => e.stopPropagation()}
                        >
                          {j.model.name}:{j.model.version}
                        </a>
                      </td>
                      <td class="small clip" title={`${j.input.path} → ${j.output.path}`}>
                        {basename(j.input.path)} ({j.input.format}) → {basename(j.output.path)} (
                        {j.output.format})
                      </td>
                      <td>
                        <Progress value={j.progress} />
                      </td>
                      <td class="num">{fmtNumber(j.rows.read)}</td>
                      <td class="num">{fmtNumber(j.rows.written)}</td>
                      <td class="num">
                        {j.rows.rejected > 0 ? <b class="tone-bad">{fmtNumber(j.rows.rejected)}</b> : 0}
                      </td>
                      <td>
                        <Time ms={j.started_at} />
                      </td>
                      <td>{fmtDuration((j.finished_at ?? j.updated_at) - j.started_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        )}
      </Async>
    </div>
  );
}

function JobDetail({ id }: { id: string }) {
  const state = useApi<Job>(`api/v1/jobs/${encodeURIComponent(id)}`, 5_000);
  return (
    <Async state={state}>
      {(j) => (
        <Card
          title={
            <>
              Job <code>{j.id}</code> <JobStatus job={j} />
            </>
          }
          actions={
            <a class="btn btn-small" href={href('jobs')}>
              Close
            </a>
          }
          testId="job-detail"
        >
          {j.error ? (
            <div class="error-box">
              {j.error.code}: {j.error.message}
            </div>
          ) : null}
          <div class="two-col">
            <KeyValues
              rows={[
                ['model', `${j.model.ref} → ${j.model.name}:${j.model.version}`],
                ['model sha256', <code key="sha">{shortSha(j.model.sha256, 16)}</code>],
                ['input', `${j.input.path} (${j.input.format})`],
                ['output', `${j.output.path} (${j.output.format})`],
                ['progress', <Progress key="p" value={j.progress} />],
                [
                  'rows',
                  `${fmtNumber(j.rows.read)} read · ${fmtNumber(j.rows.written)} written · ${fmtNumber(j.rows.rejected)} rejected`,
                ],
                ['started', fmtTime(j.started_at)],
                ['finished', fmtTime(j.finished_at)],
                ['runner', j.runner ?? '—'],
                [
                  'options',
                  Object.entries(j.options)
                    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
                    .join(' · ') || '—',
                ],
              ]}
            />
            <div>
              <h3>Provenance</h3>
              {j.provenance ? (
                <KeyValues
                  rows={Object.entries(j.provenance).map(([k, v]) => [k, <Value key={k} value={v} />])}
                />
              ) : (
                <span class="muted">written when the job finishes</span>
              )}
            </div>
          </div>
        </Card>
      )}
    </Async>
  );
}

/** A provenance value: plain, one line per field for an object, JSON below that. */
function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (Array.isArray(value)) {
    return value.length === 0 ? (
      <span class="muted">none</span>
    ) : (
      <span>{value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}</span>
    );
  }
  if (typeof value === 'object') {
    return (
      <div class="small">
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <div key={k}>
            <span class="muted">{k}</span>{' '}
            {v !== null && typeof v === 'object' ? (
              JSON.stringify(v)
            ) : k.includes('sha256') ? (
              <code>{String(v)}</code>
            ) : (
              String(v ?? '—')
            )}
          </div>
        ))}
      </div>
    );
  }
  return <span>{String(value)}</span>;
}

function JobStatus({ job }: { job: Job }) {
  const tone: Tone =
    job.status === 'SUCCEEDED'
      ? 'ok'
      : job.status === 'RUNNING'
        ? job.stale
          ? 'warn'
          : 'info'
        : job.status === 'FAILED'
          ? 'bad'
          : 'muted';
  return (
    <Badge
      tone={tone}
      title={job.stale ? 'no heartbeat: its process stopped; predict --resume continues it' : undefined}
    >
      {job.status.toLowerCase()}
      {job.stale ? ' (stale)' : ''}
    </Badge>
  );
}

function Progress({ value }: { value: number }) {
  return (
    <div class="progress" title={fmtPercent(value)}>
      <div class="progress-bar" style={{ width: `${Math.round(value * 100)}%` }} />
      <span>{fmtPercent(value, 0)}</span>
    </div>
  );
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
