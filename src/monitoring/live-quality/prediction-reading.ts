/**
 * What a logged answer predicted, read from its outputs the way `slipway evaluate` reads a
 * model's outputs: a classifier gives a label output (integer or string, one per row) and/or a
 * class-score vector (the one named like "prob" first), whose class i is the version's recorded
 * class label i when it has them, else i; anything else is a regressor, whose prediction is its
 * first floating-point output of one value per row.
 */
import type { Signature } from '../../core/tensor-types.js';
import type { Label } from '../quality/labels.js';

export type Task = 'classification' | 'regression';

export interface PredictionPlan {
  task: Task;
  /** The output holding the predicted class, if any. */
  labelOutput: string | null;
  /** The output holding one score per class, if any. */
  scoreOutput: string | null;
  /** The class of each score column. */
  classes: Label[] | null;
  /** The regressor's output. */
  valueOutput: string | null;
}

export interface ReadPrediction {
  label: Label | null;
  scores: number[] | null;
  value: number | null;
}

const INTEGER_TYPES = new Set([
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'BOOL',
]);

/** The plan for a version, from its signature and one logged row's outputs (for the widths). */
export function planPredictions(
  signature: Signature,
  classLabels: readonly string[] | null,
  sample: Record<string, unknown>,
): PredictionPlan {
  const dtype = new Map(signature.outputs.map((o) => [o.name, o.datatype]));
  const names = Object.keys(sample);
  const vectors = names.filter((n) => Array.isArray(sample[n]) && (sample[n] as unknown[]).length >= 2);
  const scoreOutput =
    vectors.find((n) => /prob/i.test(n)) ??
    vectors.find((n) => dtype.get(n) === 'FP32' || dtype.get(n) === 'FP64') ??
    null;
  const labelOutput =
    names.find((n) => {
      const t = dtype.get(n);
      const v = sample[n];
      return (
        !Array.isArray(v) &&
        (t === 'BYTES' || (t !== undefined && INTEGER_TYPES.has(t)) || typeof v === 'string')
      );
    }) ?? null;
  if (scoreOutput !== null || labelOutput !== null) {
    let classes: Label[] | null = null;
    if (scoreOutput !== null) {
      const k = (sample[scoreOutput] as unknown[]).length;
      classes =
        classLabels && classLabels.length === k
          ? classLabels.map(asLabel)
          : Array.from({ length: k }, (_, i) => i);
    }
    return { task: 'classification', labelOutput, scoreOutput, classes, valueOutput: null };
  }
  const valueOutput =
    names.find((n) => typeof sample[n] === 'number') ??
    names.find((n) => Array.isArray(sample[n]) && (sample[n] as unknown[]).length === 1) ??
    null;
  return { task: 'regression', labelOutput: null, scoreOutput: null, classes: null, valueOutput };
}

export function readPrediction(plan: PredictionPlan, outputs: Record<string, unknown>): ReadPrediction {
  if (plan.task === 'regression') {
    const v = plan.valueOutput === null ? undefined : outputs[plan.valueOutput];
    const x = Array.isArray(v) ? v[0] : v;
    return { label: null, scores: null, value: typeof x === 'number' ? x : null };
  }
  const raw = plan.scoreOutput === null ? null : outputs[plan.scoreOutput];
  const scores = Array.isArray(raw) ? raw.map((x) => (typeof x === 'number' ? x : Number.NaN)) : null;
  let label: Label | null = null;
  if (plan.labelOutput !== null) {
    const v = outputs[plan.labelOutput];
    label = v === null || v === undefined ? null : asLabel(v);
  } else if (scores !== null && plan.classes !== null) {
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
    label = plan.classes[best] ?? null;
  }
  return { label, scores, value: null };
}

/** Labels compare as numbers when they look like numbers (`"1"` from a CSV is the class 1). */
export function asLabel(v: unknown): Label {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = String(v).trim();
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
}
