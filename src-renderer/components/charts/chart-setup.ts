/** Registers the Chart.js parts the workbench uses, once: tree-shaking keeps the rest out. */
import { Chart, Decimation, type ChartOptions, Legend, LinearScale, LineController, LineElement, LogarithmicScale, type Plugin, PointElement, Tooltip } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import type { ColorScheme } from '../../composables/useColorScheme';
import type { SeriesName } from '../../lib/metric-series';

/**
 * Canvas text knows no CSS: Chart.js would draw in its own font family, which on a machine without
 * a CJK font turns Chinese legends and axis titles into boxes. Each chart takes the UI's font stack
 * (main.css, the bundled CJK face included) from its canvas.
 */
const uiFont: Plugin = {
  id: 'cvbUiFont',
  beforeInit(chart) {
    const family = getComputedStyle(chart.canvas).fontFamily;
    if (family) Chart.defaults.font.family = family;
  },
};

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation, zoomPlugin, uiFont);

// Canvas text does not wait for a web font, nor redraw after one: when a face (a subset of the
// bundled CJK font) has loaded, draw the charts again so their labels use it.
globalThis.document?.fonts?.addEventListener('loadingdone', () => {
  for (const chart of Object.values(Chart.instances)) if (chart.ctx) chart.update('none');
});

export interface ChartTheme {
  text: string;
  grid: string;
  series: Record<'step' | 'train' | 'validation' | 'rate', string>;
}

export const CHART_THEMES: Record<ColorScheme, ChartTheme> = {
  light: {
    text: '#475569',
    grid: 'rgba(15, 23, 42, 0.08)',
    series: { step: 'rgba(37, 99, 235, 0.35)', train: '#1d4ed8', validation: '#ea580c', rate: '#7c3aed' },
  },
  dark: {
    text: '#a5b4c8',
    grid: 'rgba(226, 232, 240, 0.09)',
    series: { step: 'rgba(96, 165, 250, 0.4)', train: '#60a5fa', validation: '#fb923c', rate: '#a78bfa' },
  },
};

/** One plotted line: which series, its legend text, and how it is drawn. */
export interface ChartLine {
  name: SeriesName;
  labelKey: string;
  kind: 'step' | 'train' | 'validation' | 'rate';
}

export const LOSS_LINES: ChartLine[] = [
  { name: 'stepLoss', labelKey: 'chart.stepTrain', kind: 'step' },
  { name: 'trainLoss', labelKey: 'chart.epochTrain', kind: 'train' },
  { name: 'valLoss', labelKey: 'chart.validation', kind: 'validation' },
];

export const ACCURACY_LINES: ChartLine[] = [
  { name: 'stepAccuracy', labelKey: 'chart.stepTrain', kind: 'step' },
  { name: 'trainAccuracy', labelKey: 'chart.epochTrain', kind: 'train' },
  { name: 'valAccuracy', labelKey: 'chart.validation', kind: 'validation' },
];

export const LEARNING_RATE_LINES: ChartLine[] = [{ name: 'learningRate', labelKey: 'trainOptions.chart.learningRate', kind: 'rate' }];

/**
 * What every line chart of the workbench shares: data handed over pre-parsed and never animated
 * (live updates stay cheap), the nearest point along x under the cursor, and the theme's colours
 * on both linear axes. Each chart adds its titles, scales, legend, decimation and zoom.
 */
export function baseLineOptions(theme: ChartTheme, axis: { xTitle: string; yType?: 'linear' | 'logarithmic' }): ChartOptions<'line'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    spanGaps: true,
    color: theme.text,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: { type: 'linear', title: { display: true, text: axis.xTitle, color: theme.text }, ticks: { color: theme.text, includeBounds: false }, grid: { color: theme.grid } },
      y: { type: axis.yType ?? 'linear', ticks: { color: theme.text }, grid: { color: theme.grid } },
    },
  };
}

/**
 * The fewest significant digits (at least `least`) at which every tick of an axis reads
 * differently, so a narrow range (a constant learning rate, a loss that barely moves) is not
 * labelled "0.0010" on every tick.
 */
export function distinctDigits(values: readonly number[], least = 2): number {
  for (let digits = least; digits < 12; digits++) {
    if (new Set(values.map((value) => value.toPrecision(digits))).size === values.length) return digits;
  }
  return 12;
}

/** A y-axis tick callback for plain numbers: as few digits as keep the ticks apart, no trailing zeros. */
export function distinctTick(value: number | string, _index: number, ticks: readonly { value: number }[]): string {
  const number = Number(value);
  if (number === 0) return '0';
  return String(Number(number.toPrecision(distinctDigits(ticks.map((tick) => tick.value)))));
}
