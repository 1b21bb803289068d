import { useEffect, useState } from 'preact/hooks';
import { getToken, onAuthRequired, setToken } from './api';
import { DeploymentPage } from './pages/deployment';
import { DeploymentsPage } from './pages/deployments';
import { CompareRunsPage, ExperimentsPage, RunPage, RunsPage } from './pages/experiments';
import { JobsPage } from './pages/jobs';
import { ModelPage } from './pages/model';
import { ModelsPage } from './pages/models';
import { MonitoringPage } from './pages/monitoring';
import { OverviewPage } from './pages/overview';
import { type Route, useRoute } from './router';

const NAV = [
  ['', 'Overview'],
  ['deployments', 'Deployments'],
  ['monitoring', 'Monitoring'],
  ['models', 'Models'],
  ['experiments', 'Experiments'],
  ['jobs', 'Batch jobs'],
] as const;

function page(route: Route) {
  const [first, second] = route.parts;
  switch (first) {
    case undefined:
      return <OverviewPage />;
    case 'models':
      return second ? (
        <ModelPage name={second} version={route.query.get('v')} />
      ) : (
        <ModelsPage query={route.query} />
      );
    case 'deployments':
      return second ? <DeploymentPage name={second} /> : <DeploymentsPage />;
    case 'monitoring':
      return <MonitoringPage query={route.query} />;
    case 'experiments':
      return second ? <RunsPage experimentId={second} query={route.query} /> : <ExperimentsPage />;
    case 'runs':
      return second ? <RunPage runId={second} /> : <ExperimentsPage />;
    case 'compare':
      return <CompareRunsPage ids={(route.query.get('runs') ?? '').split(',').filter(Boolean)} />;
    case 'jobs':
      return <JobsPage selected={second ?? null} />;
    default:
      return <div class="empty">No page "{route.parts.join('/')}". Start from the overview.</div>;
  }
}

export function App() {
  const route = useRoute();
  const [needToken, setNeedToken] = useState(false);
  // Bumped when a token is entered: every page remounts and fetches again with it.
  const [generation, setGeneration] = useState(0);
  useEffect(() => onAuthRequired(() => setNeedToken(true)), []);
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [route.parts.join('/')]);
  const active = route.parts[0] ?? '';
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/">
          <svg class="brand-mark" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M3 17h18l-3 4H6z" fill="#54aeff" />
            <path d="M11 2v13H4z" fill="#e6e9ef" />
            <path d="M13 5v10h6z" fill="#9aa3b5" />
          </svg>
          slipway
        </a>
        <nav>
          {NAV.map(([path, label]) => (
            <a
              key={path}
              href={`#/${path}`}
              class={
                active === path || (path === 'experiments' && (active === 'runs' || active === 'compare'))
                  ? 'active'
                  : ''
              }
            >
              {label}
            </a>
          ))}
        </nav>
        <div class="topbar-right">
          {getToken() ? (
            <button
              type="button"
              class="btn btn-small"
              onClick={() => {
                setToken(null);
                setGeneration((g) => g + 1);
              }}
            >
              Forget token
            </button>
          ) : null}
          <a href="openapi.json" class="muted" target="_blank" rel="noreferrer">
            API
          </a>
        </div>
      </header>
      <main class="content" key={generation}>
        {needToken ? null : page(route)}
      </main>
      {needToken ? (
        <TokenPrompt
          onDone={() => {
            setNeedToken(false);
            setGeneration((g) => g + 1);
          }}
        />
      ) : null}
    </div>
  );
}

/** Asked when the server answers 401: the token goes to sessionStorage only, for this tab's life. */
function TokenPrompt({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  const hadToken = getToken() !== null;
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!value.trim()) return;
            setToken(value.trim());
            onDone();
          }}
        >
          <h2 id="token-title">This slipway server needs a token</h2>
          <div class="dialog-body">
            <p>
              {hadToken
                ? 'The server refused the token this tab had. Enter the right one.'
                : 'It was started with SLIPWAY_TOKEN set. Enter that token to see the dashboard.'}
            </p>
            <p class="muted">
              It is kept in this tab's session storage only and sent as <code>Authorization: Bearer …</code>.
            </p>
          </div>
          <label class="field">
            <span>Token</span>
            <input
              type="password"
              name="token"
              autoComplete="off"
              value={value}
              onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            />
          </label>
          <div class="dialog-actions">
            <button type="submit" class="btn btn-primary">
              Continue
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
