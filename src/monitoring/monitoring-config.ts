/**
 * Monitoring settings of a server process: the prediction log writer and scheduled evaluation.
 * Options given in code win; the rest come from the environment once, here, and are frozen:
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `SLIPWAY_PREDICTION_LOG` | `on` | `off` serves without logging predictions |
 * | `SLIPWAY_PREDICTION_LOG_SAMPLE_RATE` | `1` | share of requests logged |
 * | `SLIPWAY_PREDICTION_LOG_QUEUE_ROWS` | `100000` | rows queued before requests are dropped (and counted) |
 * | `SLIPWAY_PREDICTION_LOG_RETENTION_DAYS` | none | delete logged rows older than this, hourly |
 * | `SLIPWAY_MONITOR_INTERVAL` | `1m` | scheduled evaluation interval; `off` for none |
 * | `SLIPWAY_MONITOR_WINDOW` | `1h` | drift window of each evaluation |
 */
import { SlipwayError } from '../core/errors.js';
import type { SchedulerOptions } from './evaluation/monitoring-scheduler.js';
import type { EvaluationOptions } from './monitoring.js';
import type { PredictionLogWriterOptions } from './prediction-log/prediction-log-writer.js';
import { parseDuration } from './window/duration.js';

export interface MonitoringConfig {
  /** The prediction log writer's options, or false to log nothing. */
  log: PredictionLogWriterOptions | false;
  /** Scheduled evaluation, or false for none. */
  scheduler: (SchedulerOptions & EvaluationOptions) | false;
}

export type MonitoringConfigOptions = {
  log?: PredictionLogWriterOptions | false;
  scheduler?: (SchedulerOptions & EvaluationOptions) | false;
};

export function resolveMonitoringConfig(
  options: MonitoringConfigOptions | false = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<MonitoringConfig> {
  if (options === false) return Object.freeze({ log: false, scheduler: false });
  const retention = numberOf(
    env.SLIPWAY_PREDICTION_LOG_RETENTION_DAYS,
    'SLIPWAY_PREDICTION_LOG_RETENTION_DAYS',
  );
  const log: MonitoringConfig['log'] =
    options.log === false || (options.log === undefined && env.SLIPWAY_PREDICTION_LOG === 'off')
      ? false
      : {
          sampleRate:
            numberOf(env.SLIPWAY_PREDICTION_LOG_SAMPLE_RATE, 'SLIPWAY_PREDICTION_LOG_SAMPLE_RATE') ??
            undefined,
          maxQueueRows:
            numberOf(env.SLIPWAY_PREDICTION_LOG_QUEUE_ROWS, 'SLIPWAY_PREDICTION_LOG_QUEUE_ROWS') ?? undefined,
          ...options.log,
        };
  const interval = env.SLIPWAY_MONITOR_INTERVAL;
  const scheduler: MonitoringConfig['scheduler'] =
    options.scheduler === false || (options.scheduler === undefined && interval === 'off')
      ? false
      : {
          intervalMs: interval ? parseDuration(interval, 'SLIPWAY_MONITOR_INTERVAL') : undefined,
          windowMs: env.SLIPWAY_MONITOR_WINDOW
            ? parseDuration(env.SLIPWAY_MONITOR_WINDOW, 'SLIPWAY_MONITOR_WINDOW')
            : undefined,
          retentionDays: retention,
          ...options.scheduler,
        };
  return Object.freeze({ log, scheduler });
}

function numberOf(v: string | undefined, name: string): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `${name}="${v}": expected a number ≥ 0`);
  return n;
}
