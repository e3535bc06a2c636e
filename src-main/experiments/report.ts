/**
 * An experiment as something a student can hand in: one HTML file with no outside references
 * (charts as inline SVG with mean ± std bands, the table of arms with 95% intervals, the paired
 * differences and the verdicts, the paper's claim and figure, the configuration), and the per-run
 * table as CSV with formula-safe cells.
 */
import { toCsv, type ArmResult, type Band, type ExperimentDetail } from '../contract';
import { armLabel } from './analysis';

/** The same colours as the renderer's charts (Tableau 10), one per arm. */
export const ARM_COLORS = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2'];

const WIDTH = 560;
const HEIGHT = 260;
const MARGIN = { left: 52, right: 16, top: 28, bottom: 36 };

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const step = (hi - lo) / (count - 1);
  return Array.from({ length: count }, (_, i) => lo + i * step);
}

function formatTick(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** One chart: per arm a line (the mean) in a band (mean ± std), as SVG. */
export function bandChartSvg(title: string, xLabel: string, series: { label: string; color: string; band: Band }[]): string {
  const points = series.flatMap((s) => s.band.x.map((x, i) => ({ x, lo: s.band.mean[i] - s.band.std[i], hi: s.band.mean[i] + s.band.std[i] })));
  if (!points.length) return '';
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const yMin = Math.min(...points.map((p) => p.lo));
  const yMax = Math.max(...points.map((p) => p.hi));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (xMax > xMin ? ((x - xMin) / (xMax - xMin)) * plotW : plotW / 2);
  const sy = (y: number) => MARGIN.top + (yMax > yMin ? (1 - (y - yMin) / (yMax - yMin)) * plotH : plotH / 2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`,
  ];
  for (const y of ticks(yMin, yMax)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${formatTick(y)}</text>`);
  }
  for (const x of ticks(xMin, xMax)) {
    parts.push(`<text x="${sx(x).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${formatTick(x)}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  series.forEach((s, k) => {
    const { x, mean, std } = s.band;
    const upper = x.map((v, i) => `${sx(v).toFixed(1)},${sy(mean[i] + std[i]).toFixed(1)}`);
    const lower = x.map((v, i) => `${sx(v).toFixed(1)},${sy(mean[i] - std[i]).toFixed(1)}`).reverse();
    parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    const line = x.map((v, i) => `${sx(v).toFixed(1)},${sy(mean[i]).toFixed(1)}`).join(' ');
    if (x.length === 1) parts.push(`<circle cx="${sx(x[0]).toFixed(1)}" cy="${sy(mean[0]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    else parts.push(`<polyline points="${line}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    const legendX = MARGIN.left + 8 + k * 110;
    parts.push(`<rect x="${legendX}" y="${MARGIN.top + 4}" width="10" height="10" fill="${s.color}"/>`);
    parts.push(`<text x="${legendX + 14}" y="${MARGIN.top + 13}">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function percentOrValue(value: number | null, accuracy: boolean): string {
  if (value === null) return '–';
  return accuracy ? `${(value * 100).toFixed(2)}%` : value.toFixed(4);
}

function statCell(stats: ArmResult['final'], accuracy: boolean): string {
  if (stats.mean === null) return '–';
  const spread = stats.std === null ? '' : ` ± ${accuracy ? (stats.std * 100).toFixed(2) : stats.std.toFixed(4)}`;
  const ci = stats.ci95 ? ` [${percentOrValue(stats.ci95[0], accuracy)}, ${percentOrValue(stats.ci95[1], accuracy)}]` : '';
  return `${percentOrValue(stats.mean, accuracy)}${spread}${ci}`;
}

export function experimentHtml(detail: ExperimentDetail): string {
  const accuracy = detail.metric.endsWith('Accuracy');
  const label = (value: ArmResult['value']) => armLabel(detail.vary.field, value);
  const series = (key: keyof ArmResult['curves']) => detail.arms.map((arm, i) => ({ label: label(arm.value), color: ARM_COLORS[i % ARM_COLORS.length], band: arm.curves[key] }));
  const charts = [
    bandChartSvg('Validation accuracy (mean ± std over seeds)', 'epoch', series('valAccuracy')),
    bandChartSvg('Training loss (mean ± std over seeds)', 'step', series('trainLoss')),
    bandChartSvg('Validation loss (mean ± std over seeds)', 'epoch', series('valLoss')),
    bandChartSvg('Training accuracy (mean ± std over seeds)', 'step', series('trainAccuracy')),
  ].filter(Boolean);
  const armRows = detail.arms
    .map((arm) => `<tr><td>${escapeHtml(label(arm.value))}</td><td>${arm.runs.length}</td><td>${statCell(arm.final, accuracy)}</td><td>${statCell(arm.best, accuracy)}</td><td class="runs">${arm.runs.map(escapeHtml).join('<br>')}</td></tr>`)
    .join('');
  const differenceRows = detail.differences
    .map((d) => {
      const scale = (v: number) => (accuracy ? (v * 100).toFixed(2) : v.toFixed(4));
      const interval = d.ci95 ? `[${scale(d.ci95[0])}, ${scale(d.ci95[1])}]` : '–';
      return `<tr><td>${escapeHtml(label(d.arm))} − ${escapeHtml(label(d.baseline))}</td><td>${d.estimate === null ? '–' : scale(d.estimate)}</td><td>${interval}</td><td>${d.pairs}</td><td>${d.method}</td><td>${d.p === null ? '–' : d.p.toPrecision(3)}</td><td>${escapeHtml(d.verdict)}</td></tr>`;
    })
    .join('');
  const claims = detail.claims.map((c) => `<li>${escapeHtml(c.en)}</li>`).join('');
  const figure = detail.figure
    ? `<h2>The paper's figure</h2><p>${escapeHtml(detail.figure.source)}</p><ul>${detail.figure.values.map((v) => `<li><b>${escapeHtml(label(v.value))}</b>: ${escapeHtml(v.result)}</li>`).join('')}</ul>`
    : '';
  const unit = accuracy ? 'points (percentage points of accuracy)' : 'loss';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(detail.name)}: experiment report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.verdict{font-size:16px;background:#f4f6fa;border-left:4px solid #4e79a7;padding:10px 14px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.runs{font-family:monospace;font-size:11px}.charts{display:flex;flex-wrap:wrap;gap:12px}
pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
</style></head><body>
<h1>${escapeHtml(detail.name)}</h1>
<p>Experiment <code>${escapeHtml(detail.id)}</code>, created ${escapeHtml(detail.createdAt)}: ${escapeHtml(detail.model)} on ${escapeHtml(detail.dataset)}, varying <b>${escapeHtml(detail.vary.field)}</b> over ${detail.vary.values.map((v) => escapeHtml(label(v))).join(', ')}; ${detail.seeds} seeds per arm, the same seeds (and so the same data order) in every arm. Status: ${detail.status} (${detail.done} of ${detail.total} runs).</p>
${detail.difference ? `<p class="verdict">${escapeHtml(detail.difference.verdict)}</p>` : ''}
${claims ? `<h2>The paper's claim</h2><ul>${claims}</ul>` : ''}
${figure}
<h2>Curves</h2><div class="charts">${charts.join('')}</div>
<h2>Arms: ${escapeHtml(detail.metric)} at the last epoch and at the best epoch</h2>
<p>Mean ± standard deviation over seeds, then the 95% confidence interval of the mean (Student's t).</p>
<table><tr><th>arm</th><th>runs</th><th>final</th><th>best</th><th>run ids</th></tr>${armRows}</table>
<h2>Paired differences</h2>
<p>Per seed, the arm's ${escapeHtml(detail.metric)} minus the baseline's, in ${unit}; the 95% interval is Student's t over the seeds (a percentile bootstrap from 30 pairs on).</p>
<table><tr><th>comparison</th><th>estimate</th><th>95% CI</th><th>pairs</th><th>method</th><th>p</th><th>verdict</th></tr>${differenceRows}</table>
<h2>Configuration</h2><pre>${escapeHtml(JSON.stringify(detail.base, null, 2))}</pre>
</body></html>
`;
}

/** One row per run: arm, seed, run id, status, final and best metric. */
export function experimentCsv(detail: ExperimentDetail): string {
  const rows: (string | number | null)[][] = [['experiment', 'arm', 'seed', 'run', 'status', `final ${detail.metric}`, `best ${detail.metric}`]];
  for (const arm of detail.arms) {
    arm.runs.forEach((run, i) => {
      rows.push([detail.id, armLabel(detail.vary.field, arm.value), detail.base.seed + i, run, arm.statuses[i] ?? null, arm.final.values[i] ?? null, arm.best.values[i] ?? null]);
    });
  }
  return toCsv(rows);
}
