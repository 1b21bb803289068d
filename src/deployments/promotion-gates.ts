import type { Registry } from '../registry/registry.js';
import type { TensorMap } from '../runtime/tensor.js';
import { warmupInputs } from '../runtime/warmup-inputs.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import { tableToInputs } from '../serving/tabular-input.js';
import type { GateConfig } from '../store/deployment-store.js';
import type { EvaluationRecord } from '../store/evaluation-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { isMetricName, METRIC_DIRECTIONS } from './evaluation-metrics.js';
import { type Evaluator, type HoldoutDataset, readHoldout } from './evaluator.js';
import type { GateCheck, GateReport } from './gate-report.js';
import { probeLatency } from './latency-probe.js';
import { signatureCheck } from './signature-compatibility.js';

export const DEFAULT_GATES: GateConfig = { signature: true, evaluation: null, latency: null };

export interface GateRun {
  config: GateConfig | null;
  /** The version answering now (the primary), or null for a deployment's first version. */
  current: ModelVersionRecord | null;
  candidate: ModelVersionRecord;
  evaluator: Evaluator;
  registry: Pick<Registry, 'servedModelBytes'>;
  engine: () => Promise<InferenceEngine>;
  now: number;
}

/**
 * Every configured gate, in order of cost: the signature (no inference), the holdout evaluation
 * (recorded evaluations are reused when the dataset's bytes and target are the same), then the
 * latency probe. All run even after a failure, so one report says everything that is wrong.
 */
export async function runGates(run: GateRun): Promise<GateReport> {
  const config = run.config ?? DEFAULT_GATES;
  const checks: GateCheck[] = [];
  if (config.signature !== false && run.current !== null) {
    checks.push(signatureCheck(run.current.signature, run.candidate.signature));
  }
  let holdout: HoldoutDataset | null = null;
  if (config.evaluation) {
    holdout = readHoldout(config.evaluation.dataset, config.evaluation.target);
    checks.push(...(await evaluationChecks(run, config.evaluation, holdout)));
  }
  if (config.latency) checks.push(await latencyCheck(run, config.latency, holdout));
  return {
    candidate: { model: run.candidate.name, version: run.candidate.version },
    current: run.current ? { model: run.current.name, version: run.current.version } : null,
    passed: checks.every((c) => c.passed),
    checks,
    at: run.now,
  };
}

async function evaluationChecks(
  run: GateRun,
  gate: NonNullable<GateConfig['evaluation']>,
  holdout: HoldoutDataset,
): Promise<GateCheck[]> {
  let candidate: EvaluationRecord;
  try {
    candidate = await run.evaluator.evaluateVersion(run.candidate, holdout, { reuse: true });
  } catch (err) {
    return [failed('evaluation', `the candidate could not be evaluated on ${holdout.path}: ${message(err)}`)];
  }
  let current: EvaluationRecord | null = null;
  let currentError: string | null = null;
  if (run.current !== null && Object.keys(gate.margin).length > 0) {
    try {
      current = await run.evaluator.evaluateVersion(run.current, holdout, { reuse: true });
    } catch (err) {
      currentError = message(err);
    }
  }
  const checks: GateCheck[] = [];
  const value = (metric: string, check: string): number | null => {
    const v = candidate.metrics[metric];
    if (v === undefined) {
      checks.push(failed(check, `metric "${metric}" was not computed for this ${candidate.task} model`));
      return null;
    }
    return v;
  };
  for (const [metric, min] of Object.entries(gate.min)) {
    const check = `evaluation.${metric}.min`;
    const v = value(metric, check);
    if (v === null) continue;
    checks.push(bound(check, v, min, 'at least', v >= min, min - v));
  }
  for (const [metric, max] of Object.entries(gate.max)) {
    const check = `evaluation.${metric}.max`;
    const v = value(metric, check);
    if (v === null) continue;
    checks.push(bound(check, v, max, 'at most', v <= max, v - max));
  }
  for (const [metric, margin] of Object.entries(gate.margin)) {
    const check = `evaluation.${metric}.margin`;
    const v = value(metric, check);
    if (v === null) continue;
    if (run.current === null) continue;
    const base = current?.metrics[metric];
    if (base === undefined) {
      checks.push(
        failed(check, `the current version's ${metric} is unknown${currentError ? `: ${currentError}` : ''}`),
      );
      continue;
    }
    const higher = !isMetricName(metric) || METRIC_DIRECTIONS[metric] === 'higher';
    const worse = higher ? base - v : v - base;
    const passed = worse <= margin;
    checks.push({
      check,
      passed,
      actual: v,
      threshold: higher ? base - margin : base + margin,
      by: passed ? null : worse - margin,
      message:
        `${metric} ${fmt(v)} vs the current version's ${fmt(base)}: ` +
        (worse > 0 ? `worse by ${fmt(worse)}` : `not worse`) +
        `, margin ${fmt(margin)}${passed ? '' : ` (exceeded by ${fmt(worse - margin)})`}`,
    });
  }
  return checks;
}

async function latencyCheck(
  run: GateRun,
  gate: NonNullable<GateConfig['latency']>,
  holdout: HoldoutDataset | null,
): Promise<GateCheck> {
  let rows: TensorMap[];
  try {
    rows = holdout
      ? holdout.rows
          .slice(0, 64)
          .map((r) => tableToInputs(run.candidate, { columns: holdout.columns, rows: [r] }))
      : [warmupInputs(run.candidate.signature, 1)];
  } catch {
    rows = [warmupInputs(run.candidate.signature, 1)];
  }
  try {
    const probe = await probeLatency(await run.engine(), run.registry, run.candidate, rows, gate);
    if (probe.errors > 0) {
      return {
        ...failed('latency.p99', `${probe.errors} of ${probe.requests} probe requests failed`),
        actual: probe.p99Ms,
        threshold: gate.p99Ms,
      };
    }
    const p99 = probe.p99Ms ?? Number.POSITIVE_INFINITY;
    const passed = p99 <= gate.p99Ms;
    return {
      check: 'latency.p99',
      passed,
      actual: p99,
      threshold: gate.p99Ms,
      by: passed ? null : p99 - gate.p99Ms,
      message:
        `p99 ${fmt(p99)} ms over ${probe.requests} requests at concurrency ${gate.concurrency}, budget ${fmt(gate.p99Ms)} ms` +
        (passed ? '' : ` (over by ${fmt(p99 - gate.p99Ms)} ms)`),
    };
  } catch (err) {
    return failed('latency.p99', `the latency probe failed: ${message(err)}`);
  }
}

function bound(
  check: string,
  v: number,
  limit: number,
  word: string,
  passed: boolean,
  by: number,
): GateCheck {
  const metric = check.split('.')[1];
  return {
    check,
    passed,
    actual: v,
    threshold: limit,
    by: passed ? null : by,
    message: `${metric} ${fmt(v)}, required ${word} ${fmt(limit)}${passed ? '' : ` (short by ${fmt(by)})`}`,
  };
}

function failed(check: string, text: string): GateCheck {
  return { check, passed: false, message: text, actual: null, threshold: null, by: null };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 100 ? String(Number(x.toFixed(1))) : String(Number(x.toPrecision(4)));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
