import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import type { DriftOptions, DriftReport, QualityReport, WindowSpec } from '../index.js';
import { withSlipway } from './context.js';
import { fields, formatTime, table } from './output.js';

/** `slipway monitor ...`: references, drift, reports, live quality, export, retention, evaluation. */
export function registerMonitorCommands(program: Command): void {
  const monitor = program
    .command('monitor')
    .description('watch served models: reference profiles, data and prediction drift, live quality');

  monitor
    .command('reference <ref>')
    .description('compute (with --dataset) or show the reference profile of a model version')
    .option('--dataset <csv>', 'the training or validation dataset to profile')
    .option('--target <column>', 'the label column of --dataset (profiled, not a feature)')
    .option('--no-predictions', "don't run the model over the dataset (no prediction-drift reference)")
    .action(async (ref: string, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const summary = o.dataset
          ? await s.monitoring.computeReference(ref, {
              dataset: o.dataset,
              target: o.target ?? null,
              predictions: o.predictions,
            })
          : await s.monitoring.reference(ref).then(({ profile: _, ...rest }) => rest);
        out.emit(summary, () =>
          fields([
            ['model', `${summary.model}:${summary.version}`],
            [
              'dataset',
              `${summary.dataset.path} (${summary.dataset.rows} rows, sha256 ${summary.dataset.sha256.slice(0, 12)})`,
            ],
            ['origin', summary.origin],
            ['created', formatTime(summary.created_at)],
            [
              'features',
              `${summary.features.length}: ${summary.features.slice(0, 8).join(', ')}${summary.features.length > 8 ? ', …' : ''}`,
            ],
            ['target', summary.target],
            ['outputs', summary.outputs === null ? '(not profiled)' : summary.outputs.join(', ')],
          ]),
        );
      });
    });

  windowOptions(
    monitor
      .command('drift <ref>')
      .description(
        'data and prediction drift of a model version: the log over --since or --last, or --current <csv>',
      ),
  ).action(async (ref: string, o, cmd: Command) => {
    await withSlipway(cmd, async (s, out) => {
      const report = await s.monitoring.drift(ref, windowOf(o), driftOptionsOf(o));
      out.emit(report, () => describeDrift(report));
    });
  });

  windowOptions(
    monitor
      .command('report <ref>')
      .description(
        'the drift report as one self-contained HTML page (distributions side by side, drifted first)',
      )
      .requiredOption('--html <file>', 'where to write the page'),
  ).action(async (ref: string, o, cmd: Command) => {
    await withSlipway(cmd, async (s, out) => {
      const { report, html } = await s.monitoring.driftReport(ref, windowOf(o), driftOptionsOf(o));
      const file = path.resolve(o.html);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(`${file}.tmp`, html);
      fs.renameSync(`${file}.tmp`, file);
      out.emit({ file, ...report }, () => `${describeDrift(report)}\n\nwrote ${file}`);
    });
  });

  monitor
    .command('quality <ref>')
    .description(
      'live quality of labelled predictions over a window, against the figures recorded at registration',
    )
    .option('--since <duration>', 'predictions answered in the last 15m, 1h, 7d… (default 24h)')
    .option('--last <n>', 'the newest N logged predictions instead')
    .option('--deployment <name>', 'only predictions answered through this deployment')
    .option('--all-versions', 'every version of the model that answered in the window')
    .action(async (ref: string, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const window = windowOf(o);
        if (o.allVersions) {
          const reports = await s.monitoring.qualityByVersion(ref.split(/[:@]/)[0], window);
          out.emit(
            { versions: reports },
            () => reports.map(describeQuality).join('\n\n') || 'no version answered in the window',
          );
          return;
        }
        const report = await s.monitoring.quality(ref, window);
        out.emit(report, () => describeQuality(report));
      });
    });

  monitor
    .command('export')
    .description('write a slice of the prediction log (with labels) to a Parquet file')
    .requiredOption('--out <file>', 'the .parquet file to write')
    .option('--since <duration>', 'rows logged in the last 1h, 7d… (default 24h)')
    .option('--last <n>', 'the newest N rows instead')
    .option('--model <ref>', "one model version's rows, its features and outputs also as typed columns")
    .option('--deployment <name>', 'only rows answered through this deployment')
    .action(async (o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const r = await s.monitoring.exportLog({ out: o.out, model: o.model ?? null, ...windowOf(o) });
        out.emit(r, () => `wrote ${r.rows} rows to ${r.file} (${r.bytes} bytes)`);
      });
    });

  monitor
    .command('retention')
    .description(
      'delete prediction-log rows and stored results older than --days (servers do it hourly when configured)',
    )
    .requiredOption('--days <n>', 'keep this many days')
    .action(async (o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const r = await s.monitoring.applyRetention(Number(o.days));
        out.emit(
          r,
          () =>
            `deleted ${r.deletedRows} logged rows and ${r.deletedResults} results before ${formatTime(r.cutoff)}`,
        );
      });
    });

  monitor
    .command('evaluate')
    .description(
      'one evaluation pass now: drift and quality of recently active versions (stored), then the alert rules',
    )
    .option('--window <duration>', 'drift window (default 1h)')
    .action(async (o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const evaluated = await s.monitoring.evaluate(o.window ? { windowMs: parseWindow(o.window) } : {});
        const alerts = await s.monitoring.alerts.evaluate();
        out.emit({ evaluated, alerts }, () =>
          [
            table(
              ['MODEL', 'VERSION', 'RESULTS', 'ERROR'],
              evaluated.map((e) => [e.model, e.version, e.kinds.join(', '), e.error]),
            ),
            '',
            table(
              ['RULE', 'STATUS', 'VALUE', 'VERSION'],
              alerts.map((a) => [a.rule, a.status, a.value, a.version]),
            ),
          ].join('\n'),
        );
      });
    });

  monitor
    .command('results [ref]')
    .description('stored evaluation results (the time series), newest first')
    .option('--kind <kind>', 'drift, prediction_drift or quality')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (ref: string | undefined, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        let model: string | null = null;
        let version: number | null = null;
        if (ref) {
          model = ref.split(/[:@]/)[0];
          if (/[:@]/.test(ref)) version = (await s.registry.resolve(ref)).version;
        }
        const results = await s.monitoring.results({
          model,
          version,
          kind: o.kind ?? null,
          limit: Number(o.limit),
        });
        out.emit({ results }, () =>
          table(
            ['AT', 'MODEL', 'KIND', 'ROWS', 'SUMMARY'],
            results.map((r) => [
              formatTime(r.at),
              `${r.model}:${r.version}`,
              r.kind,
              r.rows,
              resultSummary(r.kind, r.result),
            ]),
          ),
        );
      });
    });
}

function windowOptions(cmd: Command): Command {
  return cmd
    .option('--since <duration>', 'logged predictions of the last 15m, 1h, 7d…')
    .option('--last <n>', 'the newest N logged predictions')
    .option('--current <csv>', 'a file of current data instead of the log')
    .option('--deployment <name>', 'only predictions answered through this deployment')
    .option(
      '--method <method>',
      'one drift test for every column: ks, wasserstein, psi, jensenshannon, chisquare, z',
    )
    .option('--threshold <x>', "one threshold for every column (default: the method's)")
    .option('--share-threshold <x>', 'share of drifted columns at which the dataset drifts (default 0.5)')
    .option('--columns <a,b,...>', 'only these features')
    .option('--no-predictions', 'features only, no prediction drift');
}

function windowOf(o: { since?: string; last?: string; current?: string; deployment?: string }): WindowSpec {
  const last = o.last === undefined ? null : Number(o.last);
  if (last !== null && !Number.isSafeInteger(last)) {
    throw new SlipwayError('MONITORING_INVALID_WINDOW', `--last ${o.last}: expected a whole number of rows`);
  }
  return { since: o.since ?? null, last, current: o.current ?? null, deployment: o.deployment ?? null };
}

function driftOptionsOf(o: Record<string, unknown>): DriftOptions {
  const num = (v: unknown, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `${flag} ${v}: expected a number`);
    return n;
  };
  return {
    method: o.method as DriftOptions['method'],
    threshold: num(o.threshold, '--threshold'),
    shareThreshold: num(o.shareThreshold, '--share-threshold'),
    columns: typeof o.columns === 'string' ? o.columns.split(',').filter(Boolean) : undefined,
    predictions: o.predictions !== false,
  };
}

function parseWindow(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) throw new SlipwayError('MONITORING_INVALID_WINDOW', `--window ${text}: expected 30m, 1h or 1d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm'];
}

function describeDrift(r: DriftReport): string {
  const head = fields([
    ['model', `${r.model}:${r.version}`],
    ['current', `${r.current_rows} rows${r.window.file ? ` from ${r.window.file}` : ''}`],
    ['reference', `${r.reference.rows} rows from ${r.reference.dataset}`],
    [
      'dataset drift',
      `${r.dataset_drift ? 'YES' : 'no'} (${r.drifted_columns} of ${r.number_of_columns} features, share ${r.drift_share.toFixed(3)}, threshold ${r.share_threshold})`,
    ],
    [
      'prediction drift',
      r.prediction
        ? `${r.prediction.dataset_drift ? 'YES' : 'no'} (${r.prediction.drifted_columns} of ${r.prediction.number_of_columns} output columns)`
        : '(no prediction reference)',
    ],
  ]);
  const rows = (cols: DriftReport['columns']) =>
    Object.entries(cols)
      .sort(([, a], [, b]) => Number(b.drifted) - Number(a.drifted))
      .map(([name, c]) => [
        name,
        c.method,
        fmt(c.statistic),
        c.p_value === null ? '' : fmt(c.p_value),
        c.threshold,
        c.drifted ? 'DRIFT' : '',
      ]);
  const header = ['COLUMN', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', ''];
  return [
    head,
    '',
    table(header, rows(r.columns)),
    ...(r.prediction ? ['', table(header, rows(r.prediction.columns))] : []),
  ].join('\n');
}

function describeQuality(q: QualityReport): string {
  const metricRows = Object.entries(q.metrics).map(([name, value]) => {
    const b = q.baseline[name as keyof typeof q.baseline];
    return [
      name,
      fmt(value),
      b ? fmt(b.baseline) : '',
      b ? `${b.delta >= 0 ? '+' : ''}${fmt(b.delta)}${b.worse ? '  worse' : ''}` : '',
    ];
  });
  return [
    fields([
      ['model', `${q.model}:${q.version}`],
      ['task', q.task ?? '(no labelled prediction)'],
      [
        'labelled',
        `${q.labelled} of ${q.predictions} predictions${q.skipped ? ` (${q.skipped} skipped)` : ''}`,
      ],
    ]),
    '',
    table(['METRIC', 'LIVE', 'AT REGISTRATION', 'DELTA'], metricRows),
  ].join('\n');
}

function resultSummary(kind: string, r: Record<string, unknown>): string {
  if (kind === 'quality') {
    return Object.entries((r.metrics as Record<string, number>) ?? {})
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ');
  }
  return `drift share ${fmt(Number(r.drift_share))}${r.dataset_drift ? ' (drift)' : ''}`;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential(3);
  return Number(x.toPrecision(5)).toString();
}
