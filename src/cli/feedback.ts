import type { Command } from 'commander';
import { withSlipway } from './context.js';
import { fields, table } from './output.js';

/** `slipway feedback <file>`: labels for logged predictions, joined by request id or prediction key. */
export function registerFeedbackCommands(program: Command): void {
  program
    .command('feedback <file>')
    .description(
      'attach true labels to logged predictions: a CSV (request_id or prediction_key, optional row, label) or JSON Lines of {request_id | prediction_key, row?, label}',
    )
    .option('--label-column <name>', 'the CSV column holding the label', 'label')
    .action(async (file: string, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const r = await s.monitoring.feedbackFile(file, o.labelColumn);
        out.emit(
          {
            received: r.received,
            matched: r.matched,
            labelled_rows: r.labelledRows,
            unknown_count: r.unknown.length,
            unknown: r.unknown,
          },
          () => {
            const head = fields([
              ['received', r.received],
              ['matched', r.matched],
              ['unknown', r.unknown.length],
            ]);
            if (r.unknown.length === 0) return head;
            const shown = r.unknown.slice(0, 20);
            return `${head}\n\nno logged prediction for:\n${table(
              ['LINE', 'REQUEST ID', 'PREDICTION KEY', 'ROW'],
              shown.map((u) => [u.index + 1, u.request_id, u.prediction_key, u.row]),
            )}${r.unknown.length > shown.length ? `\n… and ${r.unknown.length - shown.length} more (--json lists all)` : ''}`;
          },
        );
      });
    });
}
