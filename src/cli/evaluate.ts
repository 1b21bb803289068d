import type { Command } from 'commander';
import { withSlipway } from './context.js';
import { fields, formatTime, table } from './output.js';

/** `slipway evaluate <ref> --dataset F --target C`: quality metrics on a labelled CSV, recorded on the version. */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate <ref>')
    .description(
      'run a model version on a labelled CSV and record its quality metrics (what promotion gates compare)',
    )
    .requiredOption('--dataset <csv>', 'labelled dataset with a header row')
    .requiredOption('--target <column>', 'the label column; every other column is a feature')
    .action(async (ref: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const e = await slipway.deployments.evaluate(ref, { dataset: o.dataset, target: o.target });
        out.emit(e, () =>
          [
            fields([
              ['model', `${e.model}:${e.version}`],
              ['dataset', `${e.datasetPath} (${e.rows} rows, sha256 ${e.datasetSha256.slice(0, 12)})`],
              ['target', e.target],
              ['task', e.task],
              ['recorded', formatTime(e.at)],
            ]),
            '',
            table(
              ['metric', 'value'],
              Object.entries(e.metrics).map(([k, v]) => [k, v.toFixed(6)]),
            ),
          ].join('\n'),
        );
      }),
    );
}
