import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { type BatchJobRecord, batchJobJson, JOB_STATUSES, type JobStatus, openBatchJobs } from '../index.js';
import { withSlipway } from './context.js';
import { fields, formatTime, table } from './output.js';

/** `slipway jobs list|show`: batch prediction jobs recorded in the store. */
export function registerJobCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description('batch prediction jobs: status, progress, counts, provenance');

  jobs
    .command('list')
    .description('jobs, newest first')
    .option('--status <status>', `only jobs in this status (${JOB_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .action(async (o, cmd: Command) => {
      if (o.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(o.status)) {
        throw new SlipwayError(
          'CORE_INVALID_ARGUMENT',
          `--status must be one of ${JOB_STATUSES.join(', ')}, got "${o.status}"`,
        );
      }
      await withSlipway(cmd, async (slipway, out) => {
        const batch = openBatchJobs(slipway);
        const list = await batch.list({ status: o.status as JobStatus | undefined, limit: Number(o.limit) });
        out.emit(
          list.map((j) => batchJobJson(j, batch.isStale(j))),
          () =>
            table(
              ['ID', 'STATUS', 'MODEL', 'ROWS READ', 'REJECTED', 'PROGRESS', 'STARTED', 'OUTPUT'],
              list.map((j) => [
                j.id,
                statusText(j, batch.isStale(j)),
                `${j.model.name}:${j.model.version}`,
                j.rows.read,
                j.rows.rejected,
                `${(j.progress * 100).toFixed(1)}%`,
                formatTime(j.startedAt),
                j.output.path,
              ]),
            ),
        );
      });
    });

  jobs
    .command('show <id>')
    .description('one job: status, progress, counts, error or provenance')
    .action(async (id: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (slipway, out) => {
        const batch = openBatchJobs(slipway);
        const j = await batch.get(id);
        const stale = batch.isStale(j);
        out.emit(batchJobJson(j, stale), () =>
          fields([
            ['id', j.id],
            ['status', statusText(j, stale)],
            ['model', `${j.model.name}:${j.model.version} (${j.model.ref}, sha256 ${j.model.sha256})`],
            ['input', `${j.input.path} (${j.input.format})`],
            ['output', `${j.output.path} (${j.output.format})`],
            ['shard', j.shard ? `${j.shard.index}/${j.shard.count}` : null],
            ['rows', `${j.rows.read} read, ${j.rows.written} written, ${j.rows.rejected} rejected`],
            ['progress', `${(j.progress * 100).toFixed(1)}%`],
            ['started', formatTime(j.startedAt)],
            ['updated', formatTime(j.updatedAt)],
            ['finished', j.finishedAt === null ? null : formatTime(j.finishedAt)],
            ['runner', j.runner],
            ['error', j.error ? `${j.error.code}: ${j.error.message}` : null],
            ['provenance', j.provenance ? `${j.output.path}.provenance.json` : null],
          ]),
        );
      });
    });
}

function statusText(job: BatchJobRecord, stale: boolean): string {
  return stale ? 'RUNNING (no heartbeat: killed? predict --resume continues it)' : job.status;
}
