/**
 * Progress for people and for logs: on a terminal one line redrawn in place with a bar, rows/s and
 * an ETA; elsewhere one JSON object per line, at most every few seconds, and the final state once.
 */
import { describe, expect, it } from 'vitest';
import { createProgressPrinter, type JobProgress } from '../../src/index.js';

function progress(fraction: number, rowsRead: number): JobProgress {
  return {
    jobId: 'j1',
    rowsRead,
    rowsWritten: rowsRead - 2,
    rowsRejected: 2,
    fraction,
    elapsedMs: 2000,
    rowsPerSecond: 512_000,
    etaSeconds: 75,
  };
}

describe('createProgressPrinter', () => {
  it('draws a bar with rows/s and ETA on a terminal, redrawn in place', () => {
    const written: string[] = [];
    const printer = createProgressPrinter(
      { isTTY: true, columns: 120, write: (t) => written.push(t) },
      { ttyIntervalMs: 0 },
    );
    printer.update(progress(0.25, 1_024_000));
    printer.update(progress(0.5, 2_048_000));
    printer.done();
    expect(written[0].startsWith('\r[')).toBe(true);
    expect(written[0].endsWith('\u001b[K')).toBe(true);
    expect(written[0]).toMatch(/\] {2}25\.0% {2}1\.02M rows, 2 rejected {2}512k rows\/s {2}ETA 1:15/);
    expect(written[1]).toContain(' 50.0%  2.05M rows');
    expect(written.at(-1)).toBe('\n');
  });

  it('writes JSON lines off a terminal, throttled, and the last state at the end', () => {
    const written: string[] = [];
    const printer = createProgressPrinter(
      { isTTY: false, write: (t) => written.push(t) },
      { lineIntervalMs: 60_000 },
    );
    printer.update(progress(0.1, 100));
    printer.update(progress(0.2, 200)); // within the interval: not printed
    printer.done();
    expect(written.map((l) => JSON.parse(l))).toEqual([
      {
        event: 'progress',
        job_id: 'j1',
        rows_read: 100,
        rows_written: 98,
        rows_rejected: 2,
        fraction: 0.1,
        rows_per_second: 512000,
        eta_seconds: 75,
        elapsed_seconds: 2,
      },
      expect.objectContaining({ rows_read: 200, fraction: 0.2 }),
    ]);
  });
});
