import { SlipwayError } from '../core/errors.js';

/**
 * Artifact paths and URIs as the MLflow client uses them (protocols.md D.9, D.10).
 *
 * `safeArtifactPath` is MLflow's `validate_path_is_safe`: decode (repeatedly, so `%252e%252e`
 * cannot sneak through), then refuse `#`, backslashes, NUL, `..` segments, absolute POSIX or
 * Windows paths. It returns the path with duplicate and trailing slashes removed.
 */
export function safeArtifactPath(path: string): string {
  let decoded = path;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      throw invalidPath(path);
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (
    decoded.includes('#') ||
    decoded.includes('\\') ||
    decoded.includes('\0') ||
    decoded.startsWith('/') ||
    /^[A-Za-z]:/.test(decoded) ||
    decoded.split('/').includes('..')
  ) {
    throw invalidPath(path);
  }
  return decoded
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function invalidPath(path: string): SlipwayError {
  // MLflow says only "Invalid path"; the path is added so a person can see what was refused.
  return new SlipwayError('TRACKING_INVALID_PATH', `Invalid path: ${JSON.stringify(path)}`);
}

const PROXY_MARKER = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * The path under slipway's artifact root named by a proxied URI — `mlflow-artifacts:/1/abc`,
 * `mlflow-artifacts://host:5000/1/abc` or `http(s)://host/api/2.0/mlflow-artifacts/artifacts/1/abc` —
 * or null for any other scheme (s3:, file:, a local path), whose files slipway never sees.
 */
export function proxiedArtifactPath(uri: string): string | null {
  if (uri.startsWith('mlflow-artifacts:')) {
    let rest = uri.slice('mlflow-artifacts:'.length);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      rest = slash < 0 ? '' : rest.slice(slash);
    }
    return safeArtifactPath(rest.replace(/^\/+/, ''));
  }
  if (/^https?:\/\//.test(uri)) {
    const url = new URL(uri);
    const at = url.pathname.indexOf(PROXY_MARKER);
    if (at < 0) return null;
    return safeArtifactPath(url.pathname.slice(at + PROXY_MARKER.length).replace(/^\/+/, ''));
  }
  return null;
}

/** `append_to_uri_path`: joins with exactly one slash. */
export function joinUri(base: string, ...parts: string[]): string {
  let out = base;
  for (const part of parts) {
    if (part === '') continue;
    out = `${out.replace(/\/+$/, '')}/${part.replace(/^\/+/, '')}`;
  }
  return out;
}

/** Joins artifact-root-relative paths, skipping empty parts. */
export function joinPath(...parts: (string | null | undefined)[]): string {
  return parts.filter((p): p is string => Boolean(p)).join('/');
}
