import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { colorOf } from './palette';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** Index into the palette, so a version keeps its colour across charts. */
  color?: number;
  dash?: boolean;
}

interface Props {
  title: string;
  /** Bucket starts in milliseconds since the epoch (or plain x values with `xTime=false`). */
  t: number[];
  series: ChartSeries[];
  unit?: (v: number) => string;
  height?: number;
  xTime?: boolean;
  xLabel?: string;
  empty?: string;
  testId?: string;
  /** The y axis starts at 0 and reaches at least this (rates, shares: a flat 0 stays readable). */
  yMinMax?: number;
}

/**
 * A line chart on canvas (uPlot: tens of thousands of points draw in a few milliseconds), sized
 * to its container and redrawn when that changes. With no data it says so instead of drawing axes.
 */
export function TimeChart({
  title,
  t,
  series,
  unit,
  height = 220,
  xTime = true,
  xLabel,
  empty,
  testId,
  yMinMax,
}: Props) {
  const box = useRef<HTMLDivElement>(null);
  const hasData = t.length > 0 && series.some((s) => s.values.some((v) => v !== null));

  useEffect(() => {
    const el = box.current;
    if (!el || !hasData) return;
    const fmt = unit ?? ((v: number) => String(Number(v.toPrecision(3))));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: {
        x: { time: xTime },
        ...(yMinMax !== undefined
          ? { y: { range: (_u, _lo, hi) => [0, Math.max(yMinMax, (hi ?? 0) * 1.1)] } }
          : {}),
      },
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      axes: [
        { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, label: xLabel, size: xLabel ? 48 : 40 },
        {
          stroke: '#5b6472',
          grid: { stroke: '#eef0f3' },
          values: (_u, splits) => splits.map((v) => fmt(v)),
          // Wide enough for the longest label ("45.0/min"), about 7 px a character at 12 px.
          size: (_u, values) =>
            Math.max(44, 16 + 7 * Math.max(0, ...(values ?? []).map((v) => String(v).length))),
        },
      ],
      series: [
        { label: xTime ? 'time' : (xLabel ?? 'x') },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colorOf(s.color ?? i),
          width: 2,
          dash: s.dash ? [6, 4] : undefined,
          spanGaps: false,
          // Sparse series (a request now and then) show their points: a line needs two neighbours.
          points: { show: isSparse(s.values), size: 5 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
    };
    const x = xTime ? t.map((ms) => ms / 1000) : t;
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [t, series, hasData, height, unit, xTime, xLabel, yMinMax]);

  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      {hasData ? (
        <div ref={box} class="chart-canvas" />
      ) : (
        <div class="chart-empty" style={{ height: `${height}px` }}>
          {empty ?? 'No data in this range yet.'}
        </div>
      )}
    </figure>
  );
}

function isSparse(values: (number | null)[]): boolean {
  let isolated = 0;
  let present = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) continue;
    present++;
    if ((i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null))
      isolated++;
  }
  return present < 3 || isolated * 2 >= present;
}
