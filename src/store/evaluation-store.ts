/**
 * Evaluations of model versions on labelled datasets (`slipway evaluate`), the evidence that
 * promotion gates compare.
 *
 * Contract: records are append-only; `latestEvaluation` returns the newest record for that
 * version on that dataset (by sha256) and target column, or null.
 */
export interface EvaluationStore {
  recordEvaluation(input: NewEvaluation): Promise<EvaluationRecord>;
  latestEvaluation(
    model: string,
    version: number,
    datasetSha256: string,
    target: string,
  ): Promise<EvaluationRecord | null>;
  /** Newest first. */
  listEvaluations(model: string, version: number | null): Promise<EvaluationRecord[]>;
}

export interface NewEvaluation {
  model: string;
  version: number;
  datasetPath: string;
  datasetSha256: string;
  target: string;
  rows: number;
  task: 'classification' | 'regression';
  metrics: Record<string, number>;
  at: number;
}

export interface EvaluationRecord extends NewEvaluation {
  id: number;
}
