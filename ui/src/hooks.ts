import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, api } from './api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Fetches `path` (nothing while null) and again whenever it changes, every `refreshMs` when
 * given, and on `reload()`. Keeps the last data while a refresh is in flight, so charts do not
 * blink. An answer to an older request never overwrites a newer one.
 */
export function useApi<T>(path: string | null, refreshMs: number | null = null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error: Error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [path, tick]);

  useEffect(() => {
    if (refreshMs === null || path === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, path]);

  return { ...state, reload };
}

/** A clock that ticks every `ms`, for "5 minutes ago" labels. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
