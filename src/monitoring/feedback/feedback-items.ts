/**
 * Feedback: the true label (or value) of a logged prediction, arriving minutes or weeks after it.
 * A prediction is named by its request's id (or the caller's `prediction_key`) and its row within
 * the request (0-based, default 0: a one-row request's only row).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { SlipwayError } from '../../core/errors.js';
import type { AttachResult, LabelItem } from '../../store/prediction-log-store.js';

/** One feedback item as the API and JSON Lines files take it. */
export interface FeedbackItem {
  request_id?: string;
  prediction_key?: string;
  row?: number;
  label: string | number | boolean;
}

export interface UnknownFeedback {
  /** Position of the item in what was sent (0-based). */
  index: number;
  request_id?: string;
  prediction_key?: string;
  row: number;
}

export interface FeedbackResult {
  received: number;
  /** Items that found their prediction. */
  matched: number;
  /** Logged rows that got a label (an id logged twice counts twice). */
  labelledRows: number;
  /** Items that matched no logged prediction: reported, never dropped silently. */
  unknown: UnknownFeedback[];
}

/** Most items one call takes; larger files are sent in several transactions. */
export const MAX_FEEDBACK_BATCH = 10_000;

/** Checks items (the single form is one object, the batch form an array or `{items: [...]}`). */
export function parseFeedback(body: unknown): LabelItem[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { items?: unknown }).items)
      ? (body as { items: unknown[] }).items
      : [body];
  return list.map((item, i) => labelItemOf(item, i));
}

function labelItemOf(raw: unknown, index: number): LabelItem {
  const where = `feedback item ${index}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(`${where}: expected an object with "request_id" (or "prediction_key") and "label"`, index);
  }
  const item = raw as Record<string, unknown>;
  const requestId = idText(item.request_id);
  const key = idText(item.prediction_key);
  if ((requestId === null) === (key === null)) {
    throw invalid(`${where}: expected exactly one of "request_id" and "prediction_key"`, index);
  }
  const row = item.row === undefined || item.row === null || item.row === '' ? 0 : Number(item.row);
  if (!Number.isSafeInteger(row) || row < 0) {
    throw invalid(
      `${where}: "row" must be a whole number ≥ 0 (the row within the request), got ${JSON.stringify(item.row)}`,
      index,
    );
  }
  const label = item.label;
  if (
    !(
      typeof label === 'string' ||
      typeof label === 'boolean' ||
      (typeof label === 'number' && Number.isFinite(label))
    )
  ) {
    throw invalid(
      `${where}: "label" must be a string, a finite number or a boolean, got ${JSON.stringify(label) ?? 'nothing'}`,
      index,
    );
  }
  return requestId !== null
    ? { by: 'request', id: requestId, row, labelJson: JSON.stringify(label) }
    : { by: 'key', id: key!, row, labelJson: JSON.stringify(label) };
}

function idText(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function invalid(message: string, index: number): SlipwayError {
  return new SlipwayError('MONITORING_INVALID_FEEDBACK', message, { index });
}

/** Folds the store's answers for consecutive batches into one result. */
export function feedbackResult(
  items: readonly LabelItem[],
  results: readonly AttachResult[],
  offsets: readonly number[],
): FeedbackResult {
  const unknown: UnknownFeedback[] = [];
  let matched = 0;
  let labelledRows = 0;
  results.forEach((r, b) => {
    matched += r.matched;
    labelledRows += r.rows;
    for (const i of r.unknown) {
      const item = items[offsets[b] + i];
      unknown.push({
        index: offsets[b] + i,
        ...(item.by === 'request' ? { request_id: item.id } : { prediction_key: item.id }),
        row: item.row,
      });
    }
  });
  return { received: items.length, matched, labelledRows, unknown };
}

/**
 * A feedback file: CSV with a header (`request_id` or `prediction_key`, optional `row`, and the
 * label column, `label` by default), or JSON Lines of API items (`.jsonl`, `.ndjson`).
 */
export async function readFeedbackFile(file: string, labelColumn = 'label'): Promise<LabelItem[]> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute))
    throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `feedback file not found: ${file}`);
  const ext = path.extname(absolute).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') {
    const lines = fs.readFileSync(absolute, 'utf8').split(/\r?\n/);
    const items: unknown[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        items.push(JSON.parse(line));
      } catch (err) {
        throw new SlipwayError(
          'MONITORING_INVALID_FEEDBACK',
          `${file} line ${i + 1}: not JSON (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    });
    return parseFeedback(items);
  }
  if (ext !== '.csv') {
    throw new SlipwayError('MONITORING_INVALID_FEEDBACK', `${file}: expected a .csv or .jsonl feedback file`);
  }
  const items: Record<string, unknown>[] = [];
  let header: string[] | null = null;
  for await (const record of fs
    .createReadStream(absolute)
    .pipe(parse({ skip_empty_lines: true, trim: true })) as AsyncIterable<string[]>) {
    if (header === null) {
      header = record;
      if (!header.includes(labelColumn)) {
        throw new SlipwayError(
          'MONITORING_INVALID_FEEDBACK',
          `${file} has no label column "${labelColumn}": its columns are ${header.join(', ')}`,
        );
      }
      if (!header.includes('request_id') && !header.includes('prediction_key')) {
        throw new SlipwayError(
          'MONITORING_INVALID_FEEDBACK',
          `${file} needs a "request_id" or "prediction_key" column: its columns are ${header.join(', ')}`,
        );
      }
      continue;
    }
    const item: Record<string, unknown> = {};
    header.forEach((h, c) => {
      const v = record[c];
      if (v === undefined || v === '') return;
      if (h === labelColumn) item.label = Number.isFinite(Number(v)) ? Number(v) : v;
      else if (h === 'request_id' || h === 'prediction_key' || h === 'row') item[h] = v;
    });
    items.push(item);
  }
  return parseFeedback(items);
}
