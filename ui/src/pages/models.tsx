import { useState } from 'preact/hooks';
import { qs } from '../api';
import { Async, Badge, Card, Empty, Time } from '../components/ui';
import { useApi } from '../hooks';
import { href, navigate } from '../router';
import type { ModelRow } from '../types';
import { DriftBadge } from './overview';

const PAGE = 50;

/** Every registered model, paged on the server, searchable by name. */
export function ModelsPage({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const offset = Number(query.get('offset') ?? 0) || 0;
  const [text, setText] = useState(q);
  const state = useApi<{ total: number; offset: number; limit: number; models: ModelRow[] }>(
    `api/v1/dashboard/models${qs({ q, offset, limit: PAGE })}`,
  );
  const go = (patch: { q?: string; offset?: number }) =>
    navigate(href('models', { q: patch.q ?? q, offset: patch.offset ?? 0 }));
  return (
    <div class="page" data-testid="page-models">
      <div class="page-head">
        <h1>Models</h1>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            go({ q: text.trim(), offset: 0 });
          }}
        >
          <input
            type="search"
            placeholder="Search by name"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            aria-label="Search models by name"
          />
          <button type="submit" class="btn">
            Search
          </button>
        </form>
      </div>
      <Async state={state}>
        {(page) => (
          <Card
            title={
              <span data-testid="models-count">
                {page.total === 0
                  ? 'No models'
                  : `${page.offset + 1}–${page.offset + page.models.length} of ${page.total} models`}
              </span>
            }
            actions={
              <div class="pager">
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={page.offset === 0}
                  onClick={() => go({ offset: Math.max(0, page.offset - PAGE) })}
                >
                  ← Previous
                </button>
                <button
                  type="button"
                  class="btn btn-small"
                  disabled={page.offset + page.models.length >= page.total}
                  onClick={() => go({ offset: page.offset + PAGE })}
                  data-testid="models-next"
                >
                  Next →
                </button>
              </div>
            }
          >
            {page.models.length === 0 ? (
              <Empty>
                {q
                  ? `No model name contains “${q}”.`
                  : 'Nothing registered yet: slipway models register NAME model.onnx'}
              </Empty>
            ) : (
              <table class="table" data-testid="models-table">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th class="num">Versions</th>
                    <th>Latest</th>
                    <th>Aliases</th>
                    <th>Deployed in</th>
                    <th>Drift</th>
                    <th>Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {page.models.map((m) => (
                    <tr key={m.name}>
                      <td>
                        <a class="strong" href={href('models', m.name)}>
                          {m.name}
                        </a>
                        {m.description ? <div class="muted small clip">{m.description}</div> : null}
                      </td>
                      <td class="num">{m.versions}</td>
                      <td>
                        {m.latest_version !== null ? `v${m.latest_version}` : '—'}{' '}
                        {m.latest_status && m.latest_status !== 'READY' ? (
                          <Badge tone="warn">{m.latest_status}</Badge>
                        ) : null}
                      </td>
                      <td>
                        {Object.entries(m.aliases).map(([a, v]) => (
                          <span key={a} class="chip">
                            @{a} → v{v}
                          </span>
                        ))}
                      </td>
                      <td>
                        {m.deployments.length === 0 ? (
                          <span class="muted">—</span>
                        ) : (
                          m.deployments.map((d) => (
                            <a
                              key={`${d.deployment}-${d.version}`}
                              class="chip"
                              href={href('deployments', d.deployment)}
                            >
                              {d.deployment} · v{d.version} {d.role !== 'primary' ? d.role : ''} {d.weight}%
                            </a>
                          ))
                        )}
                      </td>
                      <td>
                        {m.drift.length === 0 ? (
                          <span class="muted">not evaluated</span>
                        ) : (
                          m.drift.slice(0, 2).map((d) => (
                            <div key={d.version}>
                              <span class="small">v{d.version}</span> <DriftBadge drift={d} />
                            </div>
                          ))
                        )}
                      </td>
                      <td>
                        <Time ms={m.updated_at} />
                      </td>
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
