import { fmtClock, fmtNumber, fmtTime } from '../format';
import type { Heatmap as HeatmapData } from '../types';
import { driftColor } from './palette';

interface Props {
  data: HeatmapData;
  selected: { feature: string; window: number } | null;
  onSelect: (feature: string, window: number) => void;
}

const CELL_H = 18;
const LABEL_W = 210;
const AXIS_H = 46;

/**
 * Features × evaluation windows, each cell coloured by its drift score (1 = the test's
 * threshold), most drifted features on top. A cell is a button: click (or Enter) opens the
 * feature's distributions in that window.
 */
export function DriftHeatmap({ data, selected, onSelect }: Props) {
  const cols = data.windows.length;
  const cellW = Math.max(10, Math.min(72, Math.floor(960 / Math.max(1, cols))));
  const width = LABEL_W + cols * cellW + 8;
  const height = data.features.length * CELL_H + AXIS_H;
  const every = Math.max(1, Math.ceil(cols / 12));
  return (
    <div class="heatmap-wrap">
      <svg
        class="heatmap"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Drift of ${data.features.length} features over ${cols} windows`}
        data-testid="drift-heatmap"
      >
        <title>Drift heat map</title>
        {data.features.map((f, r) => (
          <g key={f.name}>
            <text x={LABEL_W - 8} y={r * CELL_H + CELL_H / 2 + 4} text-anchor="end" class="heatmap-label">
              {f.name.length > 30 ? `${f.name.slice(0, 29)}…` : f.name}
            </text>
            {f.score.map((s, c) => {
              const w = data.windows[c];
              const isSel = selected?.feature === f.name && selected.window === c;
              return (
                // biome-ignore lint/a11y/useSemanticElements: an SVG cell cannot be a <button>
                <rect
                  key={c}
                  x={LABEL_W + c * cellW}
                  y={r * CELL_H}
                  width={cellW - 1}
                  height={CELL_H - 1}
                  fill={driftColor(s)}
                  stroke={isSel ? '#111' : f.drifted[c] ? '#8a1c12' : 'none'}
                  stroke-width={isSel ? 2 : f.drifted[c] ? 1 : 0}
                  class="heatmap-cell"
                  data-feature={f.name}
                  data-window={c}
                  role="button"
                  tabIndex={0}
                  onClick={() => onSelect(f.name, c)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') onSelect(f.name, c);
                  }}
                >
                  <title>
                    {`${f.name} · window ending ${fmtTime(w.window_end)}\nscore ${fmtNumber(s)} (${f.method}: statistic ${fmtNumber(f.statistic[c])}${f.p_value[c] !== null ? `, p = ${fmtNumber(f.p_value[c])}` : ''}, threshold ${f.threshold})${f.drifted[c] ? '\nDRIFTED' : ''}`}
                  </title>
                </rect>
              );
            })}
          </g>
        ))}
        {data.windows.map((w, c) =>
          c % every === 0 || c === cols - 1 ? (
            <text
              key={w.result_id}
              x={LABEL_W + c * cellW + cellW / 2}
              y={data.features.length * CELL_H + 14}
              text-anchor="middle"
              class="heatmap-axis"
            >
              {fmtClock(w.window_end)}
            </text>
          ) : null,
        )}
        <text x={LABEL_W} y={data.features.length * CELL_H + 36} class="heatmap-axis">
          evaluation windows (end time) →
        </text>
      </svg>
      <div class="heatmap-legend" aria-hidden="true">
        <span>no drift</span>
        {[0, 0.5, 1, 2, 4, 10].map((s) => (
          <span key={s} class="legend-swatch" style={{ background: driftColor(s) }} title={`score ${s}`} />
        ))}
        <span>strong drift · score 1 = the test's threshold · outlined cells drifted</span>
      </div>
    </div>
  );
}
