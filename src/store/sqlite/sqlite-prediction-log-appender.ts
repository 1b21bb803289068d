import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { SlipwayError } from '../../core/errors.js';
import type { LogBatch, PredictionLogAppender } from '../prediction-log-store.js';
import type { AppendTask } from './sqlite-log-append-worker.js';

/**
 * Appends prediction-log batches on a thread of its own (a one-thread piscina pool, so batches run
 * one at a time in the order handed over), with its own SQLite connection: WAL lets it write
 * beside the main connection and `busy_timeout` makes either wait its turn. Each batch is one
 * transaction. The thread starts on the first batch; a batch that fails (or whose thread dies)
 * rejects, and the writer keeps it and tries again.
 */
export class SqlitePredictionLogAppender implements PredictionLogAppender {
  readonly #file: string;
  #pool: Piscina | null = null;
  #closed = false;

  constructor(file: string) {
    this.#file = path.resolve(file);
  }

  async append(batch: LogBatch): Promise<void> {
    if (this.#closed) throw new SlipwayError('CORE_CLOSED', 'the prediction log appender is closed');
    if (batch.rowCounts.length === 0) return;
    try {
      await this.#start().run({ batch } satisfies AppendTask);
    } catch (err) {
      throw new SlipwayError(
        'INTERNAL',
        `prediction log write failed: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pool = this.#pool;
    if (!pool) return;
    // Tasks run in order: this one runs after every batch already handed over.
    await pool.run({ close: true } satisfies AppendTask).catch(() => {});
    await pool.destroy();
  }

  #start(): Piscina {
    if (this.#pool) return this.#pool;
    const { filename, execArgv } = workerEntry();
    this.#pool = new Piscina({
      filename,
      execArgv,
      workerData: { file: this.#file },
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      recordTiming: false,
    });
    this.#pool.on('error', () => {}); // a dead thread fails its task, which the writer retries
    return this.#pool;
  }
}

/** The worker module: its `.ts` source under vitest and tsx (with tsx in the thread), else the built `.js`. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { filename: new URL('./sqlite-log-append-worker.ts', here).href, execArgv: ['--import', tsx] };
  }
  return { filename: new URL('./sqlite-log-append-worker.js', here).href, execArgv: [] };
}
