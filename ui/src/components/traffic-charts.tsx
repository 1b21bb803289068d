import { useMemo } from 'preact/hooks';
import { fmtMs, fmtPercent, fmtRate } from '../format';
import type { Traffic } from '../types';
import { TimeChart } from './time-chart';

/** Request rate, error rate and latency p50/p99 per version: three charts on one time axis. */
export function TrafficCharts({ traffic }: { traffic: Traffic }) {
  const charts = useMemo(() => {
    const colors = traffic.series.map((s) => s.version);
    return {
      rate: traffic.series.map((s, i) => ({ label: s.label, values: s.rate_per_s, color: colors[i] })),
      errors: traffic.series.map((s, i) => ({ label: s.label, values: s.error_rate, color: colors[i] })),
      latency: traffic.series.flatMap((s, i) => [
        { label: `${s.label} p50`, values: s.p50_ms, color: colors[i] },
        { label: `${s.label} p99`, values: s.p99_ms, color: colors[i], dash: true },
      ]),
    };
  }, [traffic]);
  const step = `${Math.round(traffic.step_ms / 60_000)} min buckets`;
  return (
    <div class="chart-grid">
      <TimeChart
        title={`Requests per second (${step})`}
        t={traffic.t}
        series={charts.rate}
        unit={fmtRate}
        yMinMax={0.1}
        testId="chart-rate"
        empty="No requests in this range."
      />
      <TimeChart
        title="Error rate (5xx share of requests)"
        t={traffic.t}
        series={charts.errors}
        unit={(v) => fmtPercent(v, 1)}
        yMinMax={0.01}
        testId="chart-errors"
        empty="No requests in this range."
      />
      <TimeChart
        title="Latency p50 (solid) and p99 (dashed)"
        t={traffic.t}
        series={charts.latency}
        unit={fmtMs}
        yMinMax={1}
        testId="chart-latency"
        empty="No logged requests in this range."
      />
    </div>
  );
}
