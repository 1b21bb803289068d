/**
 * Live quality of a model version over a window of the prediction log: the predictions answered
 * in the window (by the time they were answered) that have a label by now, however late it came.
 */
import type { PredictionLogStore } from '../../store/prediction-log-store.js';
import type { ModelVersionRecord } from '../../store/registry-store.js';
import { LogDecoder } from '../prediction-log/log-decoder.js';
import type { Label } from '../quality/labels.js';
import { forEachPage, type ResolvedWindow, windowQuery } from '../window/log-window.js';
import {
  asLabel,
  type PredictionPlan,
  planPredictions,
  readPrediction,
  type Task,
} from './prediction-reading.js';
import {
  type BaselineComparison,
  classificationMetrics,
  compareWithBaseline,
  type QualityMetric,
  regressionMetrics,
} from './quality-metrics.js';

export interface QualityReport {
  model: string;
  version: number;
  window: { start: number | null; end: number; last: number | null; deployment: string | null };
  task: Task | null;
  /** Predictions answered in the window. */
  predictions: number;
  /** Of those, the ones with a label (the metrics' sample). */
  labelled: number;
  /** Labelled rows left out: no prediction could be read, or a regression label is not a number. */
  skipped: number;
  metrics: Partial<Record<QualityMetric, number>>;
  /** The figures recorded at registration (`--metric name=value`), compared. */
  baseline: Partial<Record<QualityMetric, BaselineComparison>>;
}

export async function windowQuality(
  store: PredictionLogStore,
  record: ModelVersionRecord,
  window: ResolvedWindow,
): Promise<QualityReport> {
  const query = windowQuery(record.name, record.version, window);
  const total = await store.count({ ...query, newest: false, limit: null });
  const predictions = window.last !== null ? Math.min(window.last, total) : total;
  const classLabels = (record.metadata.classLabels as string[] | null | undefined) ?? null;
  let plan: PredictionPlan | null = null;
  const yTrue: Label[] = [];
  const yPred: Label[] = [];
  const scores: number[][] = [];
  const truth: number[] = [];
  const values: number[] = [];
  let labelled = 0;
  let skipped = 0;
  const decoder = new LogDecoder(store);
  await forEachPage(store, { ...query, labelled: true }, async (page) => {
    await decoder.load(page);
    for (const row of page) {
      labelled++;
      const outputs = decoder.outputs(row);
      plan ??= planPredictions(record.signature, classLabels, outputs);
      const p = readPrediction(plan, outputs);
      const label = asLabel(JSON.parse(row.labelJson!));
      if (plan.task === 'classification') {
        if (p.label === null || (plan.scoreOutput !== null && p.scores === null)) {
          skipped++;
          continue;
        }
        yTrue.push(label);
        yPred.push(p.label);
        if (p.scores !== null) scores.push(p.scores);
      } else {
        if (p.value === null || typeof label !== 'number') {
          skipped++;
          continue;
        }
        truth.push(label);
        values.push(p.value);
      }
    }
  });
  const p = plan as PredictionPlan | null;
  let metrics: Partial<Record<QualityMetric, number>> = {};
  if (p?.task === 'classification' && yTrue.length > 0) {
    metrics = classificationMetrics({
      yTrue,
      yPred,
      scores: p.scoreOutput !== null ? scores : null,
      classes: p.classes,
    });
  } else if (p?.task === 'regression' && truth.length > 0) {
    metrics = regressionMetrics(truth, values);
  }
  return {
    model: record.name,
    version: record.version,
    window: { start: window.start, end: window.end, last: window.last, deployment: window.deployment },
    task: p?.task ?? null,
    predictions,
    labelled,
    skipped,
    metrics,
    baseline: compareWithBaseline(
      metrics,
      (record.metadata.metrics as Record<string, unknown> | undefined) ?? {},
    ),
  };
}
