import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import {
  BATCH_FORMATS,
  createProgressPrinter,
  DEFAULT_BATCH_SIZE,
  ON_ERROR,
  type OnError,
  openBatchJobs,
  type PredictOptions,
  type Provenance,
  resolveShard,
} from '../index.js';
import { withSlipway } from './context.js';
import { fields } from './output.js';

/**
 * `slipway predict <model-ref> --input F --output F` and `slipway predict merge <parts...> --output F`.
 *
 * `merge` is dispatched here rather than as a commander subcommand: commander lets a parent's
 * options (`--output`) be recognised after a subcommand name, and the program's global options
 * (`--json`) need that behaviour, so `predict merge ... --output F` would give merge's `--output` to
 * predict.
 */
export function registerPredictCommands(program: Command): void {
  program
    .command('predict')
    .description(
      'batch prediction: stream a CSV, JSON Lines or Parquet file through a model into another file\n' +
        '  predict <model-ref> --input F --output F [options]\n' +
        '  predict merge <parts...> --output F   join the outputs of predict --shard, in shard order',
    )
    .argument('<model-ref>', 'name, name:version, name@alias or models:/... (or "merge")')
    .argument('[parts...]', 'with merge: the parts, outputs of predict --shard, in any order')
    .option('--input <file>', 'rows to predict (.csv, .jsonl/.ndjson or .parquet)')
    .option('--output <file>', 'where predictions go; with --shard, {shard} in it becomes the shard index')
    .option(
      '--format <format>',
      `format of input and output when their names do not say (${BATCH_FORMATS.join('|')})`,
    )
    .option('--input-format <format>', 'format of the input, overriding its extension')
    .option('--output-format <format>', 'format of the output, overriding its extension')
    .option('--delimiter <char>', 'CSV input delimiter', ',')
    .option('--id-column <name>', 'a column copied to the output first, to join predictions back')
    .option('--keep-columns <a,b,...>', 'more input columns copied to the output')
    .option('--batch-size <n>', 'rows per inference batch', String(DEFAULT_BATCH_SIZE))
    .option(
      '--workers <n>',
      'inference worker threads (default: cores − 1, at least 1; 0 runs the model on this thread)',
    )
    .option(
      '--on-error <mode>',
      'fail: stop at the first bad row; skip: list bad rows in <output>.rejects.jsonl',
      'fail',
    )
    .option('--resume', 'continue from <output>.checkpoint.json when a previous run was stopped')
    .option('--shard <i/N>', 'process shard i of N (0-based); /N takes i from $JOB_COMPLETION_INDEX')
    .option(
      '--shards <N>',
      'process one of N shards, its index from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job)',
    )
    .option('--checkpoint-interval <seconds>', 'seconds between checkpoints', '5')
    .option('--quiet', 'no progress output')
    .action(async (modelRef: string, parts: string[], o, cmd: Command) => {
      if (!o.output) throw usage('--output <file> is required');
      if (modelRef === 'merge') {
        await withSlipway(cmd, async (slipway, out) => {
          const result = await openBatchJobs(slipway).merge(parts, o.output);
          out.emit(result.provenance, () => summary(result.provenance));
        });
        return;
      }
      if (parts.length > 0) throw usage(`unexpected arguments after the model reference: ${parts.join(' ')}`);
      if (!o.input) throw usage('--input <file> is required');
      const options: PredictOptions = {
        model: modelRef,
        input: o.input,
        output: o.output,
        inputFormat: o.inputFormat ?? o.format ?? null,
        outputFormat: o.outputFormat ?? o.format ?? null,
        delimiter: o.delimiter,
        idColumn: o.idColumn ?? null,
        keepColumns: o.keepColumns
          ? String(o.keepColumns)
              .split(',')
              .map((c: string) => c.trim())
              .filter(Boolean)
          : [],
        batchSize: integer(o.batchSize, '--batch-size'),
        workers: o.workers === undefined ? undefined : integer(o.workers, '--workers'),
        onError: onError(o.onError),
        resume: Boolean(o.resume),
        shard: resolveShard(o.shard ?? null, o.shards ?? null),
        checkpointIntervalMs: seconds(o.checkpointInterval, '--checkpoint-interval'),
      };
      await withSlipway(cmd, async (slipway, out) => {
        const jobs = openBatchJobs(slipway);
        const printer = o.quiet ? null : createProgressPrinter(process.stderr);
        const controller = new AbortController();
        // The first signal stops at the next batch with a checkpoint (--resume continues); a second one kills.
        const stop = () => {
          if (controller.signal.aborted) process.exit(130);
          controller.abort();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        try {
          const result = await jobs.predict(options, {
            onProgress: printer ? (p) => printer.update(p) : null,
            signal: controller.signal,
          });
          printer?.done();
          out.emit(result.provenance, () => summary(result.provenance));
        } catch (error) {
          printer?.done();
          throw error;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await jobs.close();
        }
      });
    });
}

function usage(message: string): SlipwayError {
  return new SlipwayError('CORE_INVALID_ARGUMENT', `predict: ${message}`);
}

function summary(p: Provenance): string {
  const seconds = (Date.parse(p.finished_at) - Date.parse(p.started_at)) / 1000;
  return fields([
    ['output', p.output.path],
    ['rows', `${p.rows.read} read, ${p.rows.written} written, ${p.rows.rejected} rejected`],
    ['rejects', p.rejects],
    ['model', `${p.model.name}:${p.model.version} (sha256 ${p.model.sha256.slice(0, 12)})`],
    ['input', `${p.input.path} (sha256 ${p.input.sha256.slice(0, 12)})`],
    [
      'shard',
      p.shard ? `${p.shard.index}/${p.shard.count}` : p.parts ? `merged from ${p.parts.length} parts` : null,
    ],
    ['time', `${seconds.toFixed(1)} s${seconds > 0 ? `, ${Math.round(p.rows.read / seconds)} rows/s` : ''}`],
    ['provenance', `${p.output.path}.provenance.json`],
  ]);
}

function integer(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n))
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `${flag} must be an integer, got "${text}"`);
  return n;
}

function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!(n > 0))
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `${flag} must be a positive number of seconds, got "${text}"`,
    );
  return n * 1000;
}

function onError(text: string): OnError {
  if ((ON_ERROR as readonly string[]).includes(text)) return text as OnError;
  throw new SlipwayError(
    'CORE_INVALID_ARGUMENT',
    `--on-error must be ${ON_ERROR.join(' or ')}, got "${text}"`,
  );
}
