import fs from 'node:fs';
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { ALERT_METRICS, ALERT_OPERATORS, type AlertView } from '../index.js';
import { withSlipway } from './context.js';
import { formatTime, table } from './output.js';

/** `slipway alerts add|list|remove|history|evaluate`: alert rules over drift, quality, latency, errors. */
export function registerAlertCommands(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('alert rules: conditions, cooldown, webhooks, actions, history');

  alerts
    .command('add [name]')
    .description('add or replace a rule from flags, or every rule of a YAML file (--file)')
    .option('--file <yaml>', 'a YAML file of rules (a list, or {rules: [...]})')
    .option('--model <ref>', 'the model: a bare name covers every version with traffic')
    .option('--metric <metric>', ALERT_METRICS.join(', '))
    .option('--op <op>', ALERT_OPERATORS.join(' '), '>')
    .option('--threshold <x>', 'the value the metric is compared with')
    .option('--feature <name>', 'the feature, for feature_drift')
    .option('--quality <metric>', 'the quality metric, for quality (accuracy, roc_auc, rmse…)')
    .option('--percentile <p>', 'the latency percentile, for latency (default 99)')
    .option('--window <duration>', 'how far back each evaluation looks', '1h')
    .option('--cooldown <duration>', 'after firing, stay quiet this long while the condition holds', '1h')
    .option('--min-samples <n>', 'fewer rows, labels or requests than this: no verdict')
    .option('--severity <level>', 'info, warning or critical', 'warning')
    .option('--webhook <url>', 'notify this URL with the generic JSON body (repeatable)', collect, [])
    .option('--slack <url>', 'notify this Slack-compatible incoming webhook (repeatable)', collect, [])
    .option('--action <url>', 'call this webhook when the rule fires (to start retraining, say)')
    .option('--description <text>', 'what the rule is for')
    .action(async (name: string | undefined, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        let views: AlertView[];
        if (o.file) {
          if (!fs.existsSync(o.file))
            throw new SlipwayError('ARTIFACTS_FILE_NOT_FOUND', `rules file not found: ${o.file}`);
          views = await s.monitoring.alerts.putYaml(fs.readFileSync(o.file, 'utf8'), o.file);
        } else {
          if (!name)
            throw new SlipwayError('CORE_INVALID_ARGUMENT', 'give the rule a name, or --file <yaml>');
          views = [
            await s.monitoring.alerts.put({
              name,
              model: o.model,
              metric: o.metric,
              op: o.op,
              threshold: o.threshold === undefined ? undefined : Number(o.threshold),
              feature: o.feature,
              quality: o.quality,
              percentile: o.percentile === undefined ? undefined : Number(o.percentile),
              window: o.window,
              cooldown: o.cooldown,
              min_samples: o.minSamples === undefined ? undefined : Number(o.minSamples),
              severity: o.severity,
              notify: [
                ...o.webhook.map((url: string) => ({ url, format: 'json' })),
                ...o.slack.map((url: string) => ({ url, format: 'slack' })),
              ],
              action: o.action ? { url: o.action } : null,
              description: o.description,
            }),
          ];
        }
        out.emit(
          { rules: views },
          () => `saved ${views.map((v) => v.rule.name).join(', ')}\n\n${rulesTable(views)}`,
        );
      });
    });

  alerts
    .command('list')
    .description('every rule with its state')
    .action(async (_o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const views = await s.monitoring.alerts.list();
        out.emit({ rules: views }, () => rulesTable(views));
      });
    });

  alerts
    .command('remove <name>')
    .description('remove a rule (its history stays)')
    .action(async (name: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        await s.monitoring.alerts.remove(name);
        out.emit({ removed: name }, () => `removed ${name}`);
      });
    });

  alerts
    .command('history [name]')
    .description('firings and resolutions, newest first, with each delivery')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (name: string | undefined, o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const events = await s.monitoring.alerts.history({ rule: name ?? null, limit: Number(o.limit) });
        out.emit({ events }, () =>
          table(
            ['AT', 'RULE', 'EVENT', 'VALUE', 'DELIVERED', 'MESSAGE'],
            events.map((e) => [
              formatTime(e.at),
              e.rule,
              e.kind,
              e.value,
              `${(e.deliveries as { ok: boolean }[]).filter((d) => d.ok).length}/${e.deliveries.length}`,
              e.message,
            ]),
          ),
        );
      });
    });

  alerts
    .command('evaluate')
    .description('evaluate every rule now (servers do it on schedule)')
    .action(async (_o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const outcomes = await s.monitoring.alerts.evaluate();
        out.emit({ outcomes }, () =>
          table(
            ['RULE', 'STATUS', 'VALUE', 'MODEL', 'ERROR'],
            outcomes.map((x) => [
              x.rule,
              x.status,
              x.value,
              x.model ? `${x.model}:${x.version}` : '',
              x.error,
            ]),
          ),
        );
      });
    });
}

function rulesTable(views: AlertView[]): string {
  return table(
    ['NAME', 'MODEL', 'CONDITION', 'WINDOW', 'COOLDOWN', 'FIRING', 'LAST VALUE'],
    views.map((v) => {
      const r = v.rule as Record<string, unknown>;
      const what = r.feature
        ? `${r.metric}(${r.feature})`
        : r.quality
          ? `quality(${r.quality})`
          : r.percentile
            ? `latency p${r.percentile}`
            : r.metric;
      return [
        String(r.name),
        String(r.model),
        `${what} ${r.op} ${r.threshold}`,
        String(r.window),
        String(r.cooldown),
        v.state.firing ? 'yes' : '',
        v.state.last_value,
      ];
    }),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
