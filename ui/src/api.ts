/**
 * The one way the dashboard talks to the server: same-origin fetches of the JSON APIs, with the
 * bearer token when the server asked for one. The token lives in sessionStorage only (gone when
 * the tab closes), never in localStorage or a cookie.
 */
const TOKEN_KEY = 'slipway.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const authListeners = new Set<Listener>();

/** Called when the server answers 401: the app shows the token prompt. */
export function onAuthRequired(listener: Listener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The API root, relative to the page so that a proxy may mount slipway under a path. */
function urlOf(path: string): string {
  return new URL(path.replace(/^\//, ''), document.baseURI).toString();
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(urlOf(path), {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    if (res.status === 401) for (const l of authListeners) l();
    const b = (body ?? {}) as { code?: string; error_code?: string; message?: string; error?: string };
    throw new ApiError(
      res.status,
      b.code ?? b.error_code ?? null,
      b.message ?? b.error ?? `HTTP ${res.status}`,
    );
  }
  return body as T;
}

/** A query string from the defined entries. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
