/**
 * The drift report as one self-contained HTML page: inline CSS and inline SVG, no script, no
 * font or CDN, so it opens offline, attaches to a ticket and archives as one file. Each column
 * shows its reference and current distributions as paired bars on common bins; drifted columns
 * come first, then the rest by decreasing statistic.
 */
import type { ColumnDriftResult, DatasetDriftResult } from '../drift/detect-drift.js';
import type { Distribution } from './distributions.js';

export interface HtmlReportInput {
  title: string;
  model: string;
  version: number;
  generatedAt: number;
  windowText: string;
  currentRows: number;
  referenceText: string;
  features: DatasetDriftResult;
  prediction: DatasetDriftResult | null;
  distributions: Readonly<Record<string, Distribution>>;
}

const REF = '#4c78a8';
const CUR = '#f58518';

export function renderHtmlReport(r: HtmlReportInput): string {
  const sections = [section('Features', r.features, r.distributions)];
  if (r.prediction) sections.push(section('Predictions', r.prediction, r.distributions));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2433;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6475;margin-bottom:12px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600}
.drift{background:#fde2e1;color:#9f1c17}.ok{background:#e3f4e6;color:#1c6b2c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ee;vertical-align:middle}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5b6475}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr.drifted td:first-child{border-left:4px solid #d62728}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
svg text{font:10px system-ui,sans-serif;fill:#5b6475}
</style>
</head>
<body>
<h1>${esc(r.title)}</h1>
<div class="meta">model <b>${esc(r.model)}</b> version <b>${r.version}</b> · current: ${esc(r.windowText)} (${r.currentRows} rows) · reference: ${esc(r.referenceText)} · generated ${new Date(r.generatedAt).toISOString()}</div>
<div><span class="verdict ${r.features.dataset_drift ? 'drift' : 'ok'}" id="dataset-verdict">${r.features.dataset_drift ? 'Dataset drift detected' : 'No dataset drift'}</span>
 ${r.features.drifted_columns} of ${r.features.number_of_columns} features drifted (share ${fmt(r.features.drift_share)}, threshold ${fmt(r.features.share_threshold)})${r.prediction ? ` · predictions: ${r.prediction.drifted_columns} of ${r.prediction.number_of_columns} columns drifted` : ''}</div>
<div class="legend" style="margin-top:10px"><span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current</div>
${sections.join('\n')}
</body>
</html>
`;
}

function section(
  title: string,
  result: DatasetDriftResult,
  dists: Readonly<Record<string, Distribution>>,
): string {
  const order = Object.entries(result.columns).sort(
    ([a, x], [b, y]) => Number(y.drifted) - Number(x.drifted) || score(y) - score(x) || (a < b ? -1 : 1),
  );
  const rows = order.map(([name, c]) => {
    const d = dists[name];
    return `<tr class="${c.drifted ? 'drifted' : ''}" data-column="${esc(name)}" data-drifted="${c.drifted}">
<td><b>${esc(name)}</b><br><small>${c.kind}</small></td>
<td>${c.drifted ? '<b style="color:#9f1c17">drift</b>' : 'no drift'}</td>
<td>${esc(c.method)}</td>
<td class="num">${fmt(c.statistic)}</td>
<td class="num">${c.p_value === null ? '–' : fmt(c.p_value)}</td>
<td class="num">${fmt(c.threshold)}</td>
<td>${d ? chart(d) : ''}</td>
</tr>`;
  });
  return `<h2>${esc(title)}</h2>
<table>
<thead><tr><th>column</th><th>verdict</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th><th>reference vs current</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** Paired bars per bin, shares on a common scale; each bar has a tooltip with its bin and share. */
function chart(d: Distribution): string {
  const width = 380;
  const height = 110;
  const top = 6;
  const bottom = 18;
  const n = d.bins.length;
  const max = Math.max(1e-12, ...d.reference, ...d.current);
  const slot = width / Math.max(1, n);
  const bar = Math.max(1, slot * 0.42);
  const plot = height - top - bottom;
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = i * slot + slot * 0.08;
    for (const [k, share, color] of [
      [0, d.reference[i], REF],
      [1, d.current[i], CUR],
    ] as const) {
      const h = (share / max) * plot;
      bars.push(
        `<rect x="${(x + k * bar).toFixed(1)}" y="${(top + plot - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(d.bins[i])}: ${k === 0 ? 'reference' : 'current'} ${(share * 100).toFixed(1)}%</title></rect>`,
      );
    }
  }
  const first = d.bins[0] ?? '';
  const last = d.bins[n - 1] ?? '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="reference and current distributions">
<line x1="0" y1="${top + plot}" x2="${width}" y2="${top + plot}" stroke="#c9ced8"/>
${bars.join('')}
<text x="0" y="${height - 4}">${esc(short(first))}</text><text x="${width}" y="${height - 4}" text-anchor="end">${esc(short(last))}</text>
</svg>`;
}

function score(c: ColumnDriftResult): number {
  return Number.isFinite(c.statistic) ? c.statistic : 0;
}

function short(s: string): string {
  return s.length > 28 ? `${s.slice(0, 27)}…` : s;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
