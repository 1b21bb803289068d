import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { colorOf } from './palette';

interface Props {
  title: string;
  bins: string[];
  groups: { label: string; values: number[]; color: number }[];
  unit?: (v: number) => string;
  height?: number;
  testId?: string;
}

/**
 * Grouped bars over labelled bins (one bar per group in each bin, side by side), drawn by uPlot
 * on canvas: a feature's reference and current distributions.
 */
export function BarChart({ title, bins, groups, unit, height = 260, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || bins.length === 0) return;
    const fmt = unit ?? ((v: number) => String(v));
    const n = groups.length;
    const bars = uPlot.paths.bars!;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height,
      scales: {
        x: { time: false, range: [-0.6, bins.length - 0.4] },
        y: { range: (_u, _lo, hi) => [0, hi * 1.08 || 1] },
      },
      legend: { show: true, live: true },
      cursor: { points: { show: false } },
      axes: [
        {
          stroke: '#5b6472',
          grid: { show: false },
          splits: () => bins.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => bins[i] ?? ''),
          rotate: bins.length > 6 ? -35 : 0,
          size: bins.length > 6 ? 90 : 40,
          gap: 4,
          font: '11px system-ui, sans-serif',
        },
        { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, values: (_u, splits) => splits.map(fmt), size: 56 },
      ],
      series: [
        { label: 'bin', value: (_u, i) => (i === null ? '—' : (bins[i] ?? '')) },
        ...groups.map((g, i) => ({
          label: g.label,
          stroke: colorOf(g.color),
          fill: `${colorOf(g.color)}cc`,
          width: 1,
          // Each group takes its share of the bin's width, left to right.
          paths: bars({ size: [0.8 / n, 60], align: (n === 1 ? 0 : i === 0 ? -1 : 1) as -1 | 0 | 1 }),
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
    };
    const plot = new uPlot(
      opts,
      [bins.map((_, i) => i), ...groups.map((g) => g.values)] as uPlot.AlignedData,
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [bins, groups, height, unit]);
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-canvas" />
    </figure>
  );
}
