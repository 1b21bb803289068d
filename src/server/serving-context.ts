import type { DeploymentRouter, ModelRepository, PredictionSink, ServedVersion, Slipway } from '../index.js';
import type { ServerMetrics } from './metrics.js';

/** What every protocol plugin is given: the library context, the served models, metrics, limits. */
export interface ServingContext {
  slipway: Slipway;
  repository: ModelRepository;
  metrics: ServerMetrics;
  /** Per-request deadline; past it the answer is 504. */
  requestTimeoutMs: number;
  /** The model `/invocations` answers with; null when several are served and none was named first. */
  defaultModel: string | null;
  version: string;
  /** Answered predictions go here (the prediction log), or nowhere when null. */
  predictions: PredictionSink | null;
  /** Set when shutdown starts: answers then close their connections. */
  draining: boolean;
  /** Routes requests for deployment names to a live revision's versions; null without deployments. */
  deployments: DeploymentRouter | null;
  /** Who changes made through this server are recorded as: the token's configured name, or `local`. */
  identity: string;
}

export type { ServedVersion };

/** Label values for a request's metrics, filled by the handler once it knows the model. */
export interface RequestLabels {
  model: string;
  version: string;
}
