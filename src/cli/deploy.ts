import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import {
  describeSpec,
  type GateConfig,
  type GateReport,
  type RevisionRecord,
  type RolloutMargins,
  type WebhookConfig,
} from '../index.js';
import { withSlipway } from './context.js';
import { gateTable, revisionText, rolloutText, statusText } from './deploy-output.js';
import { formatTime, type Output, table } from './output.js';

/** Who CLI changes are recorded as (there is no token on the command line). */
const ACTOR = 'local';

/**
 * `slipway deploy`: named endpoints, their revisions, canary/shadow/A-B traffic, promotion gates,
 * rollback and automatic rollouts. Changes land in the store; running servers bring them into
 * force within their poll interval (about half a second).
 */
export function registerDeployCommands(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('deployments: traffic between model versions, promotion, rollback, rollouts');

  deploy
    .command('create <name>')
    .description('create a deployment answering with one model version (name:3 pins, name@alias follows)')
    .requiredOption('--model <ref>', 'model reference')
    .option('-m, --message <text>', 'why')
    .option('--webhook <url>', 'alert webhook, generic JSON body (repeatable)', collect, [])
    .option('--slack-webhook <url>', 'alert webhook, Slack body (repeatable)', collect, [])
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const r = await slipway.deployments.create(name, {
          model: o.model,
          message: o.message ?? null,
          actor: ACTOR,
          webhooks: webhookList(o.webhook, o.slackWebhook),
        });
        printRevision(out, r);
      }),
    );

  deploy
    .command('canary <name>')
    .description('send a share of traffic to a candidate; the primary keeps the rest')
    .requiredOption('--model <ref>', 'candidate model reference')
    .requiredOption('--weight <percent>', 'candidate share of traffic, in percent')
    .option('-m, --message <text>', 'why')
    .option('--force', 'skip the signature check')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const r = await slipway.deployments.canary(name, {
          model: o.model,
          weight: number(o.weight, '--weight'),
          message: o.message ?? null,
          actor: ACTOR,
          force: Boolean(o.force),
        });
        printRevision(out, r);
      }),
    );

  deploy
    .command('shadow <name>')
    .description('copy every request to a shadow model; its answers are logged and compared, never returned')
    .requiredOption('--model <ref>', 'shadow model reference')
    .option('-m, --message <text>', 'why')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        printRevision(
          out,
          await slipway.deployments.shadow(name, {
            model: o.model,
            message: o.message ?? null,
            actor: ACTOR,
          }),
        );
      }),
    );

  deploy
    .command('ab <name>')
    .description('sticky A/B test: the same key always reaches the same version (consistent hashing)')
    .requiredOption('--model <ref>', 'the B side')
    .option('--key-header <header>', 'take the key from this request header')
    .option(
      '--key-field <field>',
      'take the key from this input field (V2 parameter or input, MLflow column)',
    )
    .option('--weight <percent>', 'B share of keys, in percent', '50')
    .option('-m, --message <text>', 'why')
    .option('--force', 'skip the signature check')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const r = await slipway.deployments.ab(name, {
          model: o.model,
          weight: number(o.weight, '--weight'),
          keyHeader: o.keyHeader ?? null,
          keyField: o.keyField ?? null,
          message: o.message ?? null,
          actor: ACTOR,
          force: Boolean(o.force),
        });
        printRevision(out, r);
      }),
    );

  deploy
    .command('promote <name>')
    .description('the candidate takes all traffic and becomes champion, once the promotion gates pass')
    .option('-m, --message <text>', 'why')
    .option('--force', 'promote without running the gates (recorded)')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        try {
          const { revision, gates } = await slipway.deployments.promote(name, {
            message: o.message ?? null,
            actor: ACTOR,
            force: Boolean(o.force),
          });
          out.emit(
            { revision, gates },
            () => `${gates ? `${gateTable(gates)}\n\n` : ''}${revisionText(revision)}`,
          );
        } catch (err) {
          const report = (err as SlipwayError).details?.report as GateReport | undefined;
          if (err instanceof SlipwayError && err.code === 'DEPLOYMENTS_GATE_FAILED' && report) {
            out.emit({ blocked: true, gates: report }, () => gateTable(report));
          }
          throw err;
        }
      }),
    );

  deploy
    .command('rollback <name>')
    .description('back to an earlier revision (default: the last single-version state before the live one)')
    .option('--to <revision>', 'the revision to return to')
    .option('-m, --message <text>', 'why')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const r = await slipway.deployments.rollback(name, {
          to: o.to === undefined ? undefined : integer(o.to, '--to'),
          message: o.message ?? null,
          actor: ACTOR,
        });
        printRevision(out, r);
      }),
    );

  deploy
    .command('history <name>')
    .description('every revision: who, when, what, why')
    .action(async (name: string, _o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const revisions = await slipway.deployments.history(name);
        out.emit(revisions, () =>
          table(
            ['revision', 'when', 'who', 'action', 'traffic', 'why'],
            revisions.map((r) => [
              r.revision,
              formatTime(r.at),
              r.actor,
              r.action,
              describeSpec(r.spec, r.resolved),
              r.message,
            ]),
          ),
        );
      }),
    );

  deploy
    .command('status <name>')
    .description('the live revision; per version: traffic share, requests, errors, latency, live quality')
    .action(async (name: string, _o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const status = await slipway.deployments.status(name);
        out.emit(status, () => statusText(status));
      }),
    );

  deploy
    .command('list')
    .description('deployments and what they answer with')
    .action(async (_o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const list = await slipway.deployments.list();
        out.emit(list, () =>
          table(
            ['name', 'revision', 'traffic', 'rollout', 'updated'],
            list.map((d) => [
              d.name,
              d.liveRevision,
              d.description,
              d.rollout ? `${d.rollout.state} step ${d.rollout.step + 1}/${d.rollout.steps.length}` : '',
              formatTime(d.updatedAt),
            ]),
          ),
        );
      }),
    );

  deploy
    .command('rollout <name>')
    .description(
      'shift traffic to a candidate step by step while it does as well as the primary; roll back if not',
    )
    .requiredOption('--model <ref>', 'candidate model reference (pinned to the version it resolves to now)')
    .option('--steps <percents>', 'candidate share at each step', '5,25,50,100')
    .option('--hold <spec>', 'how long each step holds: 10m, 2000req, or 10m|2000req (first met)', '10m')
    .option('--min-requests <n>', 'candidate requests needed before judging')
    .option(
      '--max-error-rate <x>',
      'allowed excess of the candidate 5xx rate over the primary (0.02 = 2 points)',
    )
    .option('--max-client-error-rate <x>', 'allowed excess of the candidate 4xx rate over the primary')
    .option('--max-latency-ratio <x>', 'candidate p99 at most primary p99 × this + the slack')
    .option('--latency-slack-ms <ms>', 'added to the latency limit')
    .option('--max-quality-drop <x>', 'allowed drop of live quality when labels flow')
    .option('-m, --message <text>', 'why')
    .option('--force', 'start without running the promotion gates')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const margins: Partial<RolloutMargins> = {
          minRequests: optionalNumber(o.minRequests, '--min-requests'),
          errorRate: optionalNumber(o.maxErrorRate, '--max-error-rate'),
          clientErrorRate: optionalNumber(o.maxClientErrorRate, '--max-client-error-rate'),
          latencyRatio: optionalNumber(o.maxLatencyRatio, '--max-latency-ratio'),
          latencySlackMs: optionalNumber(o.latencySlackMs, '--latency-slack-ms'),
          quality: optionalNumber(o.maxQualityDrop, '--max-quality-drop'),
        };
        const { rollout, revision, gates } = await slipway.deployments.rollout(name, {
          model: o.model,
          steps: o.steps,
          hold: o.hold,
          margins,
          message: o.message ?? null,
          actor: ACTOR,
          force: Boolean(o.force),
        });
        out.emit({ rollout, revision, gates }, () => `${rolloutText(rollout)}\n\n${revisionText(revision)}`);
      }),
    );

  deploy
    .command('rollout-abort <name>')
    .description('stop the running rollout and return to the revision before it')
    .option('-m, --message <text>', 'why')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const r = await slipway.deployments.abortRollout(name, { message: o.message ?? null, actor: ACTOR });
        out.emit(r, () => rolloutText(r));
      }),
    );

  deploy
    .command('gates <name>')
    .description(
      'configure promotion gates (signature, holdout evaluation, latency); without options, show them',
    )
    .option('--dataset <csv>', 'holdout dataset for the evaluation gate')
    .option('--target <column>', 'label column of the holdout dataset')
    .option('--min <metric=value>', 'absolute lower bound (accuracy=0.9; repeatable)', collect, [])
    .option('--max <metric=value>', 'absolute upper bound (log_loss=0.3; repeatable)', collect, [])
    .option(
      '--margin <metric=value>',
      'how much worse than the current version a metric may be (repeatable)',
      collect,
      [],
    )
    .option('--latency-p99 <ms>', 'latency budget: p99 under the probe')
    .option('--probe-requests <n>', 'latency probe requests', '200')
    .option('--probe-concurrency <n>', 'latency probe concurrency', '8')
    .option('--no-signature', 'do not check signature compatibility')
    .option('--clear', 'remove every gate but the signature check')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const changing =
          o.clear ||
          o.dataset ||
          o.latencyP99 ||
          o.signature === false ||
          o.min.length + o.max.length + o.margin.length > 0;
        const dep = changing
          ? await slipway.deployments.configure(name, { gates: o.clear ? null : gateConfig(o) })
          : await slipway.deployments.get(name);
        out.emit(dep.config, () => JSON.stringify(dep.config.gates ?? { signature: true }, null, 2));
      }),
    );

  deploy
    .command('alerts <name>')
    .description('set the webhooks that rollout alerts go to')
    .option('--webhook <url>', 'generic JSON body (repeatable)', collect, [])
    .option('--slack-webhook <url>', 'Slack body (repeatable)', collect, [])
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const dep = await slipway.deployments.configure(name, {
          webhooks: webhookList(o.webhook, o.slackWebhook),
        });
        out.emit(dep.config.webhooks, () =>
          table(
            ['format', 'url'],
            dep.config.webhooks.map((w) => [w.format, w.url]),
          ),
        );
      }),
    );

  deploy
    .command('shadow-log <name>')
    .description('the newest shadow comparisons')
    .option('--limit <n>', 'rows', '20')
    .action(async (name: string, o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        const rows = await slipway.deployments.shadowLog(name, integer(o.limit, '--limit'));
        out.emit(rows, () =>
          table(
            ['request', 'primary', 'ms', 'shadow', 'ms', 'agree', 'max delta', 'error'],
            rows.map((r) => [
              r.requestId,
              `${r.primaryModel}:${r.primaryVersion}`,
              r.primaryMs.toFixed(2),
              `${r.shadowModel}:${r.shadowVersion}`,
              r.shadowMs?.toFixed(2),
              r.agree === null ? '' : r.agree ? 'yes' : 'no',
              r.maxDelta?.toPrecision(3),
              r.error,
            ]),
          ),
        );
      }),
    );

  deploy
    .command('delete <name>')
    .description('delete a deployment and its history')
    .action(async (name: string, _o, cmd: Command) =>
      withSlipway(cmd, async (slipway, out) => {
        await slipway.deployments.delete(name);
        out.emit({ deleted: name }, () => `deleted deployment ${name}`);
      }),
    );
}

function printRevision(out: Output, r: RevisionRecord): void {
  out.emit(r, () => revisionText(r));
}

function gateConfig(o: Record<string, unknown>): GateConfig {
  const pairs = (list: string[], flag: string) => {
    const out: Record<string, number> = {};
    for (const item of list) {
      const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(item);
      if (!m || !Number.isFinite(Number(m[2]))) {
        throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid ${flag} "${item}": expected metric=number`);
      }
      out[m[1]] = Number(m[2]);
    }
    return out;
  };
  const min = pairs(o.min as string[], '--min');
  const max = pairs(o.max as string[], '--max');
  const margin = pairs(o.margin as string[], '--margin');
  const anyMetric = Object.keys(min).length + Object.keys(max).length + Object.keys(margin).length > 0;
  if ((o.dataset === undefined) !== (o.target === undefined) || (anyMetric && o.dataset === undefined)) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', 'the evaluation gate needs both --dataset and --target');
  }
  return {
    signature: o.signature !== false,
    evaluation: o.dataset ? { dataset: String(o.dataset), target: String(o.target), min, max, margin } : null,
    latency:
      o.latencyP99 === undefined
        ? null
        : {
            p99Ms: number(o.latencyP99 as string, '--latency-p99'),
            requests: integer(o.probeRequests as string, '--probe-requests'),
            concurrency: integer(o.probeConcurrency as string, '--probe-concurrency'),
          },
  };
}

function webhookList(json: string[], slack: string[]): WebhookConfig[] {
  return [
    ...json.map((url) => ({ url, format: 'json' as const })),
    ...slack.map((url) => ({ url, format: 'slack' as const })),
  ];
}

function number(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n))
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid ${flag} "${text}": expected a number`);
  return n;
}

function optionalNumber(text: string | undefined, flag: string): number | undefined {
  return text === undefined ? undefined : number(text, flag);
}

function integer(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid ${flag} "${text}": expected a positive integer`);
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
