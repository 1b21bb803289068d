import { SlipwayError } from '../core/errors.js';
import { invalid } from './validation.js';

/**
 * Page tokens as MLflow makes them (search_utils `create_page_token`): base64 of `{"offset": n}`.
 * Opaque to clients; the same shape means a token from one server version reads on the next.
 */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | null | undefined): number {
  if (!token) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw new SlipwayError('TRACKING_INVALID_PARAMETER', `Invalid page token, could not base64-decode`);
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  const n = Number(offset);
  if (!offset || !Number.isSafeInteger(n) || n < 0) {
    throw new SlipwayError(
      'TRACKING_INVALID_PARAMETER',
      `Invalid page token, parsed value=${JSON.stringify(parsed)}`,
    );
  }
  return n;
}

/** A page of results and the token of the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says that more exist. */
export function pageOf<T>(rows: T[], offset: number, limit: number): Page<T> {
  if (rows.length > limit)
    return { items: rows.slice(0, limit), nextPageToken: encodePageToken(offset + limit) };
  return { items: rows, nextPageToken: null };
}

/** `max_results` checked as MLflow checks it: 0 or unset is `fallback`, past `cap` is refused. */
export function maxResults(given: number | null | undefined, fallback: number, cap: number): number {
  if (given === null || given === undefined || given === 0) return fallback;
  if (!Number.isSafeInteger(given) || given < 1) {
    throw invalid(
      `Invalid value ${given} for parameter 'max_results' supplied. It must be a positive integer.`,
    );
  }
  if (given > cap) {
    throw invalid(
      `Invalid value ${given} for parameter 'max_results' supplied. It must be at most ${cap}, but got value ${given}`,
    );
  }
  return given;
}
