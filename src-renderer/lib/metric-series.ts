/**
 * The points the charts plot, kept outside Vue's reactivity: Chart.js holds the same arrays, so
 * appending a point and calling `chart.update('none')` is all a live update costs. The per-layer
 * gradient norms ('grads' lines) are kept as columns for the heat strip, which draws them itself.
 */
import { markRaw } from 'vue';
import type { MetricEvent } from '../../src-main/contract';

export interface Point {
  x: number;
  y: number;
}

/** Per-layer gradient norms, one column per 'grads' line. */
export interface GradNormSeries {
  /** Layer names in model order (the order of the first line's keys; later newcomers go last). */
  layers: string[];
  /** The step of each column. */
  steps: number[];
  /** Each column's norms, indexed like `layers` at the time (a layer missing from a line is NaN). */
  columns: Float32Array[];
  /** The smallest and largest positive finite norm seen, for the colour scale. */
  min: number;
  max: number;
  lastStep: number;
}

export interface MetricSeries {
  stepLoss: Point[];
  trainLoss: Point[];
  valLoss: Point[];
  stepAccuracy: Point[];
  trainAccuracy: Point[];
  valAccuracy: Point[];
  /** Top-5 accuracy per step, when the dataset has more than 5 classes. */
  stepTop5: Point[];
  learningRate: Point[];
  /** The last step and epoch taken in; lines at or before them are repeats (history vs. live events). */
  lastStep: number;
  lastEpoch: number;
  grads: GradNormSeries;
}

export type SeriesName = Exclude<keyof MetricSeries, 'lastStep' | 'lastEpoch' | 'grads'>;

function createGradNormSeries(): GradNormSeries {
  return { layers: [], steps: [], columns: [], min: Infinity, max: -Infinity, lastStep: -Infinity };
}

export function createMetricSeries(): MetricSeries {
  return markRaw({
    stepLoss: [],
    trainLoss: [],
    valLoss: [],
    stepAccuracy: [],
    trainAccuracy: [],
    valAccuracy: [],
    stepTop5: [],
    learningRate: [],
    lastStep: -Infinity,
    lastEpoch: -Infinity,
    grads: createGradNormSeries(),
  });
}

/** Empties the series in place, so a chart that holds the arrays keeps working. */
export function clearMetricSeries(series: MetricSeries): void {
  for (const name of SERIES_NAMES) series[name].length = 0;
  series.lastStep = -Infinity;
  series.lastEpoch = -Infinity;
  Object.assign(series.grads, createGradNormSeries());
}

const SERIES_NAMES: SeriesName[] = ['stepLoss', 'trainLoss', 'valLoss', 'stepAccuracy', 'trainAccuracy', 'valAccuracy', 'stepTop5', 'learningRate'];

function push(points: Point[], x: number, y: number | null | undefined): void {
  if (y !== null && y !== undefined && Number.isFinite(y)) points.push({ x, y });
}

function appendGrads(grads: GradNormSeries, step: number, layers: Record<string, number>): void {
  for (const name of Object.keys(layers)) if (!grads.layers.includes(name)) grads.layers.push(name);
  const column = new Float32Array(grads.layers.length).fill(NaN);
  grads.layers.forEach((name, index) => {
    const norm = layers[name];
    if (norm === undefined) return;
    column[index] = norm;
    if (norm > 0 && Number.isFinite(norm)) {
      grads.min = Math.min(grads.min, norm);
      grads.max = Math.max(grads.max, norm);
    }
  });
  grads.steps.push(step);
  grads.columns.push(column);
  grads.lastStep = step;
}

/**
 * Appends metric lines in order, skipping lines already taken in (the same line can arrive both
 * in `runs.get` history and in a `run.progress` event). Returns how many lines were new.
 */
export function appendMetrics(series: MetricSeries, lines: readonly MetricEvent[]): number {
  let added = 0;
  for (const line of lines) {
    if (line.type === 'step') {
      if (line.step <= series.lastStep) continue;
      series.lastStep = line.step;
      push(series.stepLoss, line.step, line.loss);
      push(series.stepAccuracy, line.step, line.accuracy);
      push(series.stepTop5, line.step, line.top5Accuracy);
      push(series.learningRate, line.step, line.learningRate);
    } else if (line.type === 'epoch') {
      if (line.epoch <= series.lastEpoch) continue;
      series.lastEpoch = line.epoch;
      push(series.trainLoss, line.step, line.trainLoss);
      push(series.valLoss, line.step, line.valLoss);
      push(series.trainAccuracy, line.step, line.trainAccuracy);
      push(series.valAccuracy, line.step, line.valAccuracy);
    } else if (line.type === 'grads') {
      if (line.step <= series.grads.lastStep) continue;
      appendGrads(series.grads, line.step, line.layers);
    } else {
      continue;
    }
    added++;
  }
  return added;
}

export function countPoints(series: MetricSeries, names: readonly SeriesName[]): number {
  return names.reduce((total, name) => total + series[name].length, 0);
}
