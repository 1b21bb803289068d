/**
 * Windows of the prediction log: which rows (`--since 1h`, a time range, `--last N`, or a file
 * instead of the log), and reading them as columns for drift tests and as rows for quality.
 */
import { SlipwayError } from '../../core/errors.js';
import type {
  PredictionLogQuery,
  PredictionLogRow,
  PredictionLogStore,
} from '../../store/prediction-log-store.js';
import type { ColumnKind } from '../drift/drift-method.js';
import type { OutputColumn } from '../prediction-log/log-columns.js';
import { LogDecoder } from '../prediction-log/log-decoder.js';
import type { RawColumn } from '../profile/dataset-profile.js';
import { parseDuration } from './duration.js';

export interface WindowSpec {
  /** How far back from now: `1h`, `7d`, or milliseconds. */
  since?: string | number | null;
  /** Absolute start (ms since the epoch, inclusive). */
  from?: number | null;
  /** Absolute end (ms since the epoch, exclusive; default now). */
  until?: number | null;
  /** The newest N logged rows instead of a time range. */
  last?: number | null;
  /** A CSV file to use as the current data instead of the log. */
  current?: string | null;
  /** Only predictions answered through this deployment. */
  deployment?: string | null;
}

export interface ResolvedWindow {
  source: 'log' | 'file';
  /** Inclusive start, or null for "the newest N rows" and files. */
  start: number | null;
  end: number;
  last: number | null;
  file: string | null;
  deployment: string | null;
}

/** Rows read per page: bounded memory for large windows. */
const PAGE_ROWS = 10_000;

export function resolveWindow(spec: WindowSpec, now: number, defaultSinceMs = 3_600_000): ResolvedWindow {
  const given = [spec.since != null || spec.from != null, spec.last != null, spec.current != null].filter(
    Boolean,
  );
  if (given.length > 1) {
    throw new SlipwayError(
      'MONITORING_INVALID_WINDOW',
      'give one window: a time range (--since or from/until), --last N, or --current <file>',
    );
  }
  const deployment = spec.deployment ?? null;
  if (spec.current != null) {
    return { source: 'file', start: null, end: now, last: null, file: spec.current, deployment };
  }
  const end = spec.until ?? now;
  if (spec.last != null) {
    if (!Number.isSafeInteger(spec.last) || spec.last < 1) {
      throw new SlipwayError(
        'MONITORING_INVALID_WINDOW',
        `--last ${spec.last}: expected a positive whole number of rows`,
      );
    }
    return { source: 'log', start: null, end, last: spec.last, file: null, deployment };
  }
  const start = spec.from ?? end - (spec.since != null ? parseDuration(spec.since, 'since') : defaultSinceMs);
  if (!(start < end)) {
    throw new SlipwayError('MONITORING_INVALID_WINDOW', `window start ${start} is not before its end ${end}`);
  }
  return { source: 'log', start, end, last: null, file: null, deployment };
}

export function windowQuery(model: string, version: number, w: ResolvedWindow): PredictionLogQuery {
  return {
    model,
    version,
    deployment: w.deployment,
    since: w.start,
    until: w.end,
    ...(w.last !== null ? { newest: true, limit: w.last } : {}),
  };
}

/** Every row of the window, oldest first. */
export async function forEachRow(
  store: PredictionLogStore,
  query: PredictionLogQuery,
  fn: (row: PredictionLogRow) => void,
): Promise<number> {
  return forEachPage(store, query, (page) => page.forEach(fn));
}

/** The window a page at a time (bounded memory for large windows), oldest first. */
export async function forEachPage(
  store: PredictionLogStore,
  query: PredictionLogQuery,
  fn: (page: PredictionLogRow[]) => void | Promise<void>,
): Promise<number> {
  if (query.newest) {
    const rows = await store.read(query);
    if (rows.length > 0) await fn(rows);
    return rows.length;
  }
  let afterId: number | null = null;
  let count = 0;
  for (;;) {
    const page = await store.read({ ...query, afterId, limit: PAGE_ROWS });
    if (page.length > 0) await fn(page);
    count += page.length;
    if (page.length < PAGE_ROWS) return count;
    afterId = page[page.length - 1].id;
  }
}

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}

export interface WindowColumns {
  rows: number;
  /** Time of the first and last row read (null when none). */
  first: number | null;
  last: number | null;
  columns: Record<string, RawColumn>;
}

/** The window's features (and, when asked, output columns) as drift-test columns. */
export async function readWindowColumns(
  store: PredictionLogStore,
  query: PredictionLogQuery,
  features: readonly ColumnSpec[],
  outputs: readonly (OutputColumn & { kind: ColumnKind })[],
): Promise<WindowColumns> {
  const numeric = [...features.map((f) => f.kind), ...outputs.map((o) => o.kind)].map((k) => k === 'numeric');
  const values: unknown[][] = numeric.map(() => []);
  let first: number | null = null;
  let last: number | null = null;
  const decoder = new LogDecoder(store);
  const rows = await forEachPage(store, query, async (page) => {
    await decoder.load(page);
    for (const row of page) {
      first ??= row.at;
      last = row.at;
      const f = decoder.features(row);
      for (let c = 0; c < features.length; c++) values[c].push(f[features[c].name]);
      if (outputs.length > 0) {
        const o = decoder.outputs(row);
        for (let c = 0; c < outputs.length; c++) {
          const spec = outputs[c];
          const v = o[spec.output];
          values[features.length + c].push(
            spec.index === null ? v : Array.isArray(v) ? v[spec.index] : undefined,
          );
        }
      }
    }
  });
  const columns: Record<string, RawColumn> = {};
  const names = [...features.map((f) => f.name), ...outputs.map((o) => o.column)];
  names.forEach((name, c) => {
    columns[name] = numeric[c] ? Float64Array.from(values[c], toNumber) : values[c].map(toText);
  });
  return { rows, first, last, columns };
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

function toText(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
