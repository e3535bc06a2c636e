/**
 * The points the loss and accuracy charts plot, kept outside Vue's reactivity: Chart.js holds the
 * same arrays, so appending a point and calling `chart.update('none')` is all a live update costs.
 */
import { markRaw } from 'vue';
import type { MetricEvent } from '../../src-main/contract';

export interface Point {
  x: number;
  y: number;
}

export interface MetricSeries {
  stepLoss: Point[];
  trainLoss: Point[];
  valLoss: Point[];
  stepAccuracy: Point[];
  trainAccuracy: Point[];
  valAccuracy: Point[];
  /** The last step and epoch taken in; lines at or before them are repeats (history vs. live events). */
  lastStep: number;
  lastEpoch: number;
}

export type SeriesName = Exclude<keyof MetricSeries, 'lastStep' | 'lastEpoch'>;

export function createMetricSeries(): MetricSeries {
  return markRaw({
    stepLoss: [],
    trainLoss: [],
    valLoss: [],
    stepAccuracy: [],
    trainAccuracy: [],
    valAccuracy: [],
    lastStep: -Infinity,
    lastEpoch: -Infinity,
  });
}

/** Empties the series in place, so a chart that holds the arrays keeps working. */
export function clearMetricSeries(series: MetricSeries): void {
  for (const name of SERIES_NAMES) series[name].length = 0;
  series.lastStep = -Infinity;
  series.lastEpoch = -Infinity;
}

const SERIES_NAMES: SeriesName[] = ['stepLoss', 'trainLoss', 'valLoss', 'stepAccuracy', 'trainAccuracy', 'valAccuracy'];

function push(points: Point[], x: number, y: number | null): void {
  if (y !== null && Number.isFinite(y)) points.push({ x, y });
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
    } else if (line.type === 'epoch') {
      if (line.epoch <= series.lastEpoch) continue;
      series.lastEpoch = line.epoch;
      push(series.trainLoss, line.step, line.trainLoss);
      push(series.valLoss, line.step, line.valLoss);
      push(series.trainAccuracy, line.step, line.trainAccuracy);
      push(series.valAccuracy, line.step, line.valAccuracy);
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
