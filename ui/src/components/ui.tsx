import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { fmtAgo, fmtTime } from '../format';
import type { Loaded } from '../hooks';
import type { RevisionSummary } from '../types';
import { colorOf } from './palette';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function Badge({
  tone,
  children,
  title,
}: {
  tone: Tone;
  children: ComponentChildren;
  title?: string;
}) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Card({
  title,
  actions,
  children,
  class: cls,
  testId,
}: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  testId?: string;
}) {
  return (
    <section class={`card ${cls ?? ''}`} data-testid={testId}>
      {title || actions ? (
        <header class="card-head">
          <h2>{title}</h2>
          <div class="card-actions">{actions}</div>
        </header>
      ) : null}
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Stat({
  label,
  value,
  sub,
  tone,
  href,
}: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
  tone?: Tone;
  href?: string;
}) {
  const body = (
    <>
      <div class="stat-label">{label}</div>
      <div class={`stat-value ${tone ? `tone-${tone}` : ''}`}>{value}</div>
      {sub ? <div class="stat-sub">{sub}</div> : null}
    </>
  );
  return href ? (
    <a class="stat" href={href}>
      {body}
    </a>
  ) : (
    <div class="stat">{body}</div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Loading() {
  return <div class="loading">Loading…</div>;
}

export function ErrorBox({ error }: { error: Error }) {
  const code = error instanceof ApiError && error.code ? `${error.code}: ` : '';
  return (
    <div class="error-box" role="alert">
      {code}
      {error.message}
    </div>
  );
}

/** Loading, error or the content, for data from `useApi`. */
export function Async<T>({
  state,
  children,
}: {
  state: Loaded<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (state.data !== null) {
    return (
      <>
        {state.error ? <ErrorBox error={state.error} /> : null}
        {children(state.data)}
      </>
    );
  }
  if (state.error) return <ErrorBox error={state.error} />;
  return <Loading />;
}

export function Time({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined) return <span>—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={fmtTime(ms)}>
      {fmtAgo(ms)}
    </time>
  );
}

/** The traffic split of a revision as one bar, a segment per answering target. */
export function SplitBar({ revision }: { revision: RevisionSummary }) {
  const answering = revision.targets.filter((t) => t.role !== 'shadow');
  const shadows = revision.targets.filter((t) => t.role === 'shadow');
  return (
    <div class="split" data-testid="traffic-split">
      <div class="split-bar">
        {answering.map((t, i) => (
          <div
            key={t.model}
            class="split-seg"
            style={{ width: `${t.weight}%`, background: colorOf(t.version ?? i) }}
            title={`${t.name}:${t.version} · ${t.role} · ${t.weight}%`}
          >
            {t.weight >= 12 ? `${t.name}:${t.version} ${t.weight}%` : ''}
          </div>
        ))}
      </div>
      <div class="split-legend">
        {answering.map((t, i) => (
          <span key={t.model}>
            <i style={{ background: colorOf(t.version ?? i) }} />
            {t.name}:{t.version ?? '?'}{' '}
            <span class="muted">
              ({t.role}, {t.weight}%)
            </span>
          </span>
        ))}
        {shadows.map((t) => (
          <span key={t.model}>
            <i class="shadow-dot" />
            {t.name}:{t.version ?? '?'} <span class="muted">(shadow: gets a copy)</span>
          </span>
        ))}
      </div>
    </div>
  );
}

export function ActionBadge({ action }: { action: string }) {
  const tone: Tone =
    action === 'rollback' || action.startsWith('rollout-abort')
      ? 'warn'
      : action === 'promote'
        ? 'ok'
        : action === 'create'
          ? 'info'
          : 'muted';
  return <Badge tone={tone}>{action}</Badge>;
}

/**
 * A modal asking to confirm a change: what will happen, an optional "why" recorded with it, and
 * the button that does it. Escape or Cancel closes it; the busy state blocks a double submit.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: (message: string) => Promise<void>;
  onClose: () => void;
}) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !busy) onClose();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [busy, onClose]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(message.trim());
      onClose();
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <form onSubmit={submit}>
          <h2 id="dialog-title">{title}</h2>
          <div class="dialog-body">{children}</div>
          <label class="field">
            <span>Why (recorded in the revision history)</span>
            <input
              ref={input}
              type="text"
              value={message}
              placeholder="e.g. drift on mean_radius since 14:00"
              onInput={(e) => setMessage((e.target as HTMLInputElement).value)}
            />
          </label>
          {error ? <ErrorBox error={error} /> : null}
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="submit" class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy}>
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

export function KeyValues({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {rows.map(([k, v]) => (
        <div key={k} class="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RangePicker({
  value,
  onChange,
  options,
}: {
  value: string;
  onChange: (v: string) => void;
  options?: string[];
}) {
  return (
    <fieldset class="segmented" aria-label="Time range">
      {(options ?? ['1h', '6h', '24h', '7d']).map((o) => (
        <button
          key={o}
          type="button"
          class={o === value ? 'active' : ''}
          aria-pressed={o === value}
          onClick={() => onChange(o)}
        >
          {o}
        </button>
      ))}
    </fieldset>
  );
}
