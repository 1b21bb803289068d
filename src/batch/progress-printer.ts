/**
 * How a job's progress reaches a person or a log: on a terminal, one line redrawn in place (a bar,
 * rows, rows/s, ETA); elsewhere (CI, Kubernetes logs), one JSON object per line every few seconds,
 * which log collectors parse without help.
 */
import type { JobProgress } from './predict-job.js';

export interface ProgressPrinter {
  update(progress: JobProgress): void;
  /** The last state, then a line break on a terminal. */
  done(): void;
}

export interface ProgressPrinterOptions {
  /** Redraw interval on a terminal (default 200 ms). */
  ttyIntervalMs?: number;
  /** Interval between JSON lines elsewhere (default 5 s). */
  lineIntervalMs?: number;
}

export function createProgressPrinter(
  stream: { write(text: string): unknown; isTTY?: boolean; columns?: number },
  options: ProgressPrinterOptions = {},
): ProgressPrinter {
  const tty = stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 200) : (options.lineIntervalMs ?? 5000);
  let last: JobProgress | null = null;
  let printed: JobProgress | null = null;
  let printedAt = Number.NEGATIVE_INFINITY;
  const print = () => {
    if (last === null || last === printed) return;
    printed = last;
    printedAt = performance.now();
    if (tty) stream.write(`\r${barLine(last, stream.columns ?? 100)}\u001b[K`);
    else stream.write(`${JSON.stringify(progressJson(last))}\n`);
  };
  return {
    update(progress) {
      last = progress;
      if (performance.now() - printedAt >= interval) print();
    },
    done() {
      print();
      if (tty && last !== null) stream.write('\n');
    },
  };
}

export function progressJson(p: JobProgress): Record<string, unknown> {
  return {
    event: 'progress',
    job_id: p.jobId,
    rows_read: p.rowsRead,
    rows_written: p.rowsWritten,
    rows_rejected: p.rowsRejected,
    fraction: Math.round(p.fraction * 10_000) / 10_000,
    rows_per_second: Math.round(p.rowsPerSecond),
    eta_seconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds),
    elapsed_seconds: Math.round(p.elapsedMs / 100) / 10,
  };
}

function barLine(p: JobProgress, columns: number): string {
  const width = Math.max(10, Math.min(30, columns - 70));
  const filled = Math.round(p.fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${(p.fraction * 100).toFixed(1).padStart(5)}%`;
  const rejected = p.rowsRejected > 0 ? `, ${count(p.rowsRejected)} rejected` : '';
  const eta = p.etaSeconds === null ? 'ETA --:--' : `ETA ${clock(p.etaSeconds)}`;
  return `${bar} ${pct}  ${count(p.rowsRead)} rows${rejected}  ${count(p.rowsPerSecond)} rows/s  ${eta}`;
}

function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(Math.round(n));
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
