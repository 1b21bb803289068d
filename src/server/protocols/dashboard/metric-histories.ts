import type { Slipway } from '../../../index.js';

/** Points per run and metric the charts get at most: past it, evenly spaced steps are kept. */
const MAX_POINTS = 1000;

/**
 * Metric histories of some runs on one step axis per metric, ready to draw: `steps` is the union
 * of the runs' steps, and each run has one value per step (null where it logged none). When a run
 * logged a step several times, the newest value counts, as MLflow's charts do.
 */
export async function metricHistories(slipway: Slipway, runIds: string[], keys: string[]) {
  const runs = await Promise.all(runIds.map((id) => slipway.tracking.getRun(id)));
  const wanted =
    keys.length > 0 ? keys : [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
  const metrics = [];
  for (const key of wanted.slice(0, 50)) {
    const perRun = await Promise.all(
      runs.map(async (r) => {
        const page = await slipway.tracking.getMetricHistory(r.info.runId, key, {});
        const byStep = new Map<number, { value: number; timestamp: number }>();
        for (const m of page.items) {
          const seen = byStep.get(m.step);
          if (!seen || m.timestamp >= seen.timestamp)
            byStep.set(m.step, { value: m.value, timestamp: m.timestamp });
        }
        return byStep;
      }),
    );
    let steps = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    if (steps.length > MAX_POINTS) {
      const every = steps.length / MAX_POINTS;
      steps = Array.from({ length: MAX_POINTS }, (_, i) => steps[Math.floor(i * every)]);
    }
    metrics.push({
      key,
      steps,
      series: runs.map((r, i) => ({
        run_id: r.info.runId,
        run_name: r.info.runName,
        values: steps.map((s) => {
          const v = perRun[i].get(s)?.value;
          return v === undefined || !Number.isFinite(v) ? null : v;
        }),
      })),
    });
  }
  return { metrics };
}
