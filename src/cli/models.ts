import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { versionView } from '../index.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { withSlipway } from './context.js';
import { fields, formatTime, table } from './output.js';

/** `slipway models ...`: register, list, show, alias, delete-alias, download. */
export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions, aliases, lineage');

  models
    .command('register <name> <path>')
    .description('register an ONNX file or an MLflow model directory as a new version of <name>')
    .option('--alias <alias>', 'point this alias at the new version (repeatable)', collect, [])
    .option('--description <text>', 'a description of the version')
    .option('--tag <key=value>', 'a tag on the version (repeatable)', collect, [])
    .option(
      '--dataset <csv>',
      'the training dataset, recorded in the lineage; its header gives feature names',
    )
    .option('--target <column>', 'the label column of --dataset (left out of the feature names)')
    .option('--code-version <sha>', 'the code version, when not read from the git work tree')
    .option('--class-labels <a,b,...>', 'class labels in probability-column order')
    .option('--metric <name=value>', 'a figure measured at training time (repeatable)', collect, [])
    .action(async (name: string, path: string, o, cmd: Command) => {
      if (o.target && !o.dataset) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          '--target needs --dataset: name the dataset whose column it is',
        );
      }
      await withSlipway(cmd, async (s, out) => {
        const v = await s.registry.register({
          name,
          path,
          aliases: o.alias,
          description: o.description ?? null,
          tags: parsePairs(o.tag, '--tag'),
          dataset: o.dataset ?? null,
          target: o.target ?? null,
          codeVersion: o.codeVersion ?? null,
          classLabels: o.classLabels ? String(o.classLabels).split(',') : null,
          metrics: Object.fromEntries(
            Object.entries(parsePairs(o.metric, '--metric')).map(([k, v]) => [k, parseMetric(k, v)]),
          ),
        });
        out.emit(
          versionView(v),
          () =>
            `registered ${v.name} version ${v.version} (sha256 ${v.modelSha256 ?? v.manifestSha256})\n\n${describeVersion(v)}`,
        );
      });
    });

  models
    .command('list')
    .description('every registered model with its latest version and aliases')
    .action(async (_o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const list = await s.registry.listModels();
        out.emit(
          list.map((m) => ({
            name: m.name,
            latest_version: m.latestVersion,
            aliases: m.aliases,
            description: m.description,
            tags: m.tags,
            updated_at: m.updatedAt,
          })),
          () =>
            table(
              ['NAME', 'LATEST', 'ALIASES', 'UPDATED', 'DESCRIPTION'],
              list.map((m) => [
                m.name,
                m.latestVersion,
                Object.entries(m.aliases)
                  .map(([a, v]) => `${a}→${v}`)
                  .join(' '),
                formatTime(m.updatedAt),
                m.description,
              ]),
            ),
        );
      });
    });

  models
    .command('show <ref>')
    .description('a model (name) with its versions, or one version (name:3, name@champion)')
    .action(async (ref: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        if (/[:@]/.test(ref)) {
          const v = await s.registry.resolve(ref);
          out.emit(versionView(v), () => describeVersion(v));
          return;
        }
        const model = await s.registry.getModel(ref);
        const versions = await s.registry.listVersions(ref);
        out.emit({ ...model, versions: versions.map(versionView) }, () =>
          [
            fields([
              ['name', model.name],
              ['description', model.description],
              ['created', formatTime(model.createdAt)],
              [
                'aliases',
                Object.entries(model.aliases)
                  .map(([a, v]) => `${a}→${v}`)
                  .join(' ') || '-',
              ],
              [
                'tags',
                Object.entries(model.tags)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ') || '-',
              ],
            ]),
            '',
            table(
              ['VERSION', 'CREATED', 'STATUS', 'ALIASES', 'SHA256', 'INPUTS'],
              versions.map((v) => [
                v.version,
                formatTime(v.createdAt),
                v.status,
                v.aliases.join(' '),
                (v.modelSha256 ?? v.manifestSha256).slice(0, 12),
                v.signature.inputs.map((i) => `${i.name}:${i.datatype}[${i.shape.join(',')}]`).join(' '),
              ]),
            ),
          ].join('\n'),
        );
      });
    });

  models
    .command('alias <name> <alias> <version>')
    .description('point <alias> at <version> (moves it atomically if it exists)')
    .action(async (name: string, alias: string, version: string, _o, cmd: Command) => {
      const n = parseVersion(version);
      await withSlipway(cmd, async (s, out) => {
        const v = await s.registry.setAlias(name, alias, n);
        out.emit({ name, alias, version: v.version }, () => `${name}@${alias} → version ${v.version}`);
      });
    });

  models
    .command('delete-alias <name> <alias>')
    .description('remove an alias')
    .action(async (name: string, alias: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        await s.registry.deleteAlias(name, alias);
        out.emit({ name, alias, deleted: true }, () => `deleted ${name}@${alias}`);
      });
    });

  models
    .command('download <ref> <dir>')
    .description('write the files of a version, byte for byte as registered, into <dir>')
    .action(async (ref: string, dir: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const { record, files } = await s.registry.download(ref, dir);
        out.emit({ name: record.name, version: record.version, files }, () =>
          [`${record.name} version ${record.version}:`, ...files.map((f) => `  ${f}`)].join('\n'),
        );
      });
    });
}

function describeVersion(v: ModelVersionRecord): string {
  const lineage = v.lineage as {
    codeVersion?: { commit: string; dirty: boolean | null } | null;
    producer?: { name: string; version: string } | null;
    opsets?: Record<string, number> | null;
    environment?: Record<string, unknown>;
  };
  const spec = (t: { name: string; datatype: string; shape: number[] }) =>
    `${t.name} ${t.datatype}[${t.shape.join(',')}]`;
  return fields([
    ['model', `${v.name}:${v.version}`],
    ['status', v.statusMessage ? `${v.status} (${v.statusMessage})` : v.status],
    ['created', formatTime(v.createdAt)],
    ['aliases', v.aliases.join(' ') || '-'],
    ['sha256', v.modelSha256],
    ['inputs', v.signature.inputs.map(spec).join(', ')],
    ['outputs', v.signature.outputs.map(spec).join(', ')],
    ['features', ((v.metadata.featureNames as string[] | null) ?? []).join(',') || '-'],
    ['classes', ((v.metadata.classLabels as string[] | null) ?? []).join(',') || '-'],
    ['producer', lineage.producer ? `${lineage.producer.name} ${lineage.producer.version}` : '-'],
    [
      'opsets',
      lineage.opsets
        ? Object.entries(lineage.opsets)
            .map(([d, n]) => `${d}=${n}`)
            .join(' ')
        : '-',
    ],
    [
      'code',
      lineage.codeVersion
        ? `${lineage.codeVersion.commit}${lineage.codeVersion.dirty ? ' (dirty)' : ''}`
        : '-',
    ],
    [
      'datasets',
      v.datasets.map((d) => `${d.path} (${d.rows} rows, sha256 ${d.sha256.slice(0, 12)})`).join('; ') || '-',
    ],
    ['run', v.runId],
    ...runLineage(v.lineage.run),
    [
      'environment',
      lineage.environment
        ? Object.entries(lineage.environment)
            .map(([k, x]) => `${k}=${x}`)
            .join(' ')
        : '-',
    ],
  ]);
}

/** The MLflow run behind a version (recorded at registration): params, metrics, source, datasets. */
function runLineage(run: unknown): [string, string][] {
  if (!run || typeof run !== 'object') return [];
  const r = run as {
    runName?: string;
    experimentId?: string;
    params?: Record<string, string>;
    metrics?: Record<string, number>;
    source?: { name?: string | null };
    datasets?: { name: string; digest: string; source: string; context: string | null }[];
  };
  const kv = (o: Record<string, unknown> | undefined) =>
    Object.entries(o ?? {})
      .map(([k, x]) => `${k}=${x}`)
      .join(' ') || '-';
  return [
    ['run name', `${r.runName ?? '-'} (experiment ${r.experimentId ?? '-'})`],
    ['run params', kv(r.params)],
    ['run metrics', kv(r.metrics)],
    ['run source', r.source?.name ?? '-'],
    [
      'run datasets',
      (r.datasets ?? [])
        .map((d) => `${d.name} (digest ${d.digest}, ${d.context ?? 'no context'}, ${d.source})`)
        .join('; ') || '-',
    ],
  ];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePairs(items: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i <= 0)
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid ${flag} "${item}": expected key=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function parseMetric(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid --metric ${name}="${value}": expected a number`);
  }
  return n;
}

function parseVersion(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `invalid version "${text}": expected a positive integer`);
  }
  return n;
}
