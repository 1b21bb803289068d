/**
 * The hook through which live quality reaches deployments: once labels flow (feedback joined to
 * the prediction log by request id), the monitoring side computes a model version's quality over
 * the predictions a deployment answered, and `deploy status` and rollouts read it from here.
 *
 * Deployments never compute it: monitoring owns the prediction log and the labels. Until a source
 * is set (`slipway.deployments.hooks.quality = ...`) status shows no quality and rollouts judge
 * error rates and latency only.
 */
export interface QualitySource {
  /**
   * Quality of `model:version` over the predictions answered through `deployment` since `sinceMs`
   * (epoch milliseconds), or null when no labelled prediction is available yet.
   */
  liveQuality(query: LiveQualityQuery): Promise<LiveQuality | null>;
}

export interface LiveQualityQuery {
  deployment: string;
  model: string;
  version: number;
  sinceMs: number;
}

export interface LiveQuality {
  /** The metric's name in monitoring's vocabulary (`accuracy`, `roc_auc`, `rmse`…). */
  metric: string;
  value: number;
  higherIsBetter: boolean;
  /** Labelled predictions the value is computed over. */
  labelled: number;
}
