import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/models/fraud?v=3`): the server serves one page at `/` and never has to know the
 * dashboard's paths, so they cannot collide with API routes.
 */
export interface Route {
  /** Path segments, decoded: `#/models/fraud` → ['models', 'fraud']. */
  parts: string[];
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, search = ''] = text.split('?', 2);
  return {
    parts: path
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p)),
    query: new URLSearchParams(search),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `href('models', 'fraud', {v: 3})` → `#/models/fraud?v=3`. */
export function href(
  ...parts: (string | number | Record<string, string | number | null | undefined>)[]
): string {
  const segments: string[] = [];
  const query = new URLSearchParams();
  for (const p of parts) {
    if (typeof p === 'object') {
      for (const [k, v] of Object.entries(p))
        if (v !== null && v !== undefined && v !== '') query.set(k, String(v));
    } else segments.push(encodeURIComponent(String(p)));
  }
  const q = query.toString();
  return `#/${segments.join('/')}${q ? `?${q}` : ''}`;
}

export function navigate(to: string): void {
  location.hash = to.startsWith('#') ? to.slice(1) : to;
}
