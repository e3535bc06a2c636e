/**
 * The curves the Compare screen overlays, built from runs' metric lines: which value, against
 * which x (step, epoch or wall time), smoothed with a debiased exponential moving average as
 * TensorBoard's smoothing slider does. Plain functions over arrays, so 200,000 points cost a few
 * milliseconds and nothing here is reactive.
 */
import type { MetricEvent } from '../../../src-main/contract';

export const COMPARE_METRICS = ['trainLoss', 'valLoss', 'trainAccuracy', 'valAccuracy', 'learningRate'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

export const X_AXES = ['step', 'epoch', 'time'] as const;
export type XAxis = (typeof X_AXES)[number];

export interface Point {
  x: number;
  y: number;
}

/** Accuracy curves are drawn as percentages, the others as plain numbers. */
export function isPercentMetric(metric: CompareMetric): boolean {
  return metric === 'trainAccuracy' || metric === 'valAccuracy';
}

/**
 * Smoothing is for noisy measurements (loss and accuracy); a learning rate is a setting, drawn as
 * it was: averaging it would invent ramps and, on a constant rate, rounding spikes.
 */
export function isSmoothed(metric: CompareMetric): boolean {
  return metric !== 'learningRate';
}

/**
 * Maps a line's step to a fractional epoch: epoch e spans the steps after epoch e−1's last step
 * up to its own, so a run that stopped mid-epoch still lines up with one that did not.
 */
function epochAxis(metrics: readonly MetricEvent[]): (step: number, epoch: number) => number {
  const lastStep = new Map<number, number>();
  for (const line of metrics) if (line.type === 'epoch' && !line.partial) lastStep.set(line.epoch, line.step);
  const sizes = [...lastStep.entries()].sort((a, b) => a[0] - b[0]);
  const typical = sizes.length ? sizes[0][1] - (sizes[0][0] > 1 ? (lastStep.get(sizes[0][0] - 1) ?? 0) : 0) : 0;
  return (step, epoch) => {
    const start = lastStep.get(epoch - 1) ?? (epoch - 1) * typical;
    const end = lastStep.get(epoch) ?? start + typical;
    return end > start ? epoch - 1 + (step - start) / (end - start) : epoch;
  };
}

/**
 * The points of one metric of one run. Training loss and accuracy come from the per-step lines
 * (the noisy curve smoothing is for), validation from the per-epoch lines, the learning rate from
 * the steps. Wall time is seconds since the run's first line.
 */
export function buildCurve(metrics: readonly MetricEvent[], metric: CompareMetric, xAxis: XAxis): Point[] {
  const points: Point[] = [];
  const toEpoch = xAxis === 'epoch' ? epochAxis(metrics) : null;
  let t0 = NaN;
  for (const line of metrics) {
    if (line.type === 'grads') continue;
    if (Number.isNaN(t0)) t0 = line.time;
    let y: number | null | undefined;
    if (line.type === 'step') {
      y = metric === 'trainLoss' ? line.loss : metric === 'trainAccuracy' ? line.accuracy : metric === 'learningRate' ? line.learningRate : undefined;
    } else {
      y = metric === 'valLoss' ? line.valLoss : metric === 'valAccuracy' ? line.valAccuracy : undefined;
    }
    if (y === null || y === undefined || !Number.isFinite(y)) continue;
    const x = xAxis === 'step' ? line.step : xAxis === 'time' ? (line.time - t0) / 1000 : line.type === 'epoch' ? line.epoch : toEpoch!(line.step, line.epoch);
    points.push({ x, y });
  }
  // Decimation and the line itself need x in order; a resumed run's lines already are, this is cheap insurance.
  for (let i = 1; i < points.length; i++) {
    if (points[i].x < points[i - 1].x) return points.sort((a, b) => a.x - b.x);
  }
  return points;
}

/**
 * Exponential moving average with the start-up bias removed (as in Adam and TensorBoard), so the
 * first points are not dragged toward zero. `weight` 0 returns the points unchanged.
 */
export function smooth(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0) return points as Point[];
  const out = new Array<Point>(points.length);
  let last = 0;
  let debias = 1;
  for (let i = 0; i < points.length; i++) {
    last = last * weight + (1 - weight) * points[i].y;
    debias *= weight;
    out[i] = { x: points[i].x, y: last / (1 - debias) };
  }
  return out;
}

/** Distinct colors for up to 10 runs (Tableau 10), repeating after. */
export const RUN_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length];
}

/**
 * Hyperparameters of several runs side by side: every config field any of them has, nested
 * objects flattened to `schedule.type`, and whether the runs disagree on it.
 */
export function hyperparameterRows(configs: readonly (Record<string, unknown> | null)[]): { key: string; values: string[]; differs: boolean }[] {
  const flat = configs.map((config) => flatten(config ?? {}));
  const keys = [...new Set(flat.flatMap((entry) => [...entry.keys()]))].sort(compareKeys);
  return keys.map((key) => {
    const values = flat.map((entry) => entry.get(key) ?? '—');
    return { key, values, differs: new Set(values).size > 1 };
  });
}

/** The fields people look at first come first; the rest alphabetically. */
const FIRST = ['model', 'dataset', 'optimizer', 'learningRate', 'batchSize', 'epochs'];
function compareKeys(a: string, b: string): number {
  const ia = FIRST.indexOf(a.split('.')[0]);
  const ib = FIRST.indexOf(b.split('.')[0]);
  if (ia !== ib) return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib);
  return a.localeCompare(b);
}

function flatten(value: Record<string, unknown>, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [key, inner] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) flatten(inner as Record<string, unknown>, path, out);
    else if (inner !== undefined) out.set(path, typeof inner === 'string' ? inner : JSON.stringify(inner));
  }
  return out;
}
