/**
 * Exports of a run: its metrics as CSV, and its trained model in the TF.js layers format
 * (model.json + weights.bin, as tf.loadLayersModel reads them) with labels.json and
 * preprocessing.json beside it, so the folder is usable without the workbench.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toCsv, type MetricEvent } from '../contract';
import type { Preprocessing } from '../data/preprocess';
import { atomicWriteFileSync, fsyncDir, writeFileDurableSync } from './atomic';

export const METRICS_CSV_COLUMNS = [
  'type',
  'epoch',
  'step',
  'time',
  'loss',
  'accuracy',
  'top5Accuracy',
  'learningRate',
  'imagesPerSec',
  'gradNorm',
  'trainLoss',
  'trainAccuracy',
  'valLoss',
  'valAccuracy',
  'partial',
  'best',
] as const;

/** One row per step and epoch line (per-layer gradient lines are left out); empty cells where a line has no such value. */
export function metricsToCsv(metrics: readonly MetricEvent[]): string {
  const lines = metrics.filter((line) => line.type !== 'grads') as unknown as Record<string, number | boolean | null | undefined>[];
  return toCsv([METRICS_CSV_COLUMNS, ...lines.map((values) => METRICS_CSV_COLUMNS.map((column) => values[column]))]);
}

export const MODEL_EXPORT_FILES = ['model.json', 'weights.bin', 'labels.json', 'preprocessing.json'] as const;

/**
 * Copies a checkpoint's model into `target` (a new folder, replaced whole if it exists) with the
 * labels and the preprocessing the network expects. Returns the total size in bytes.
 */
export function exportModelFolder(checkpointDir: string, target: string, preprocessing: Preprocessing): number {
  for (const file of ['model.json', 'weights.bin']) {
    if (!existsSync(join(checkpointDir, file))) throw new Error(`the checkpoint ${checkpointDir} has no ${file}`);
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const modelJson = JSON.parse(readFileSync(join(checkpointDir, 'model.json'), 'utf8')) as Record<string, unknown>;
    // The labels also go in the model's own metadata, where TF.js tools look for them.
    const userDefinedMetadata = { ...(modelJson.userDefinedMetadata as object | undefined), classes: preprocessing.classes, preprocessing };
    writeFileDurableSync(join(tmp, 'model.json'), JSON.stringify({ ...modelJson, userDefinedMetadata }));
    copyFileSync(join(checkpointDir, 'weights.bin'), join(tmp, 'weights.bin'));
    writeFileDurableSync(join(tmp, 'labels.json'), `${JSON.stringify(preprocessing.classes, null, 2)}\n`);
    writeFileDurableSync(join(tmp, 'preprocessing.json'), `${JSON.stringify(preprocessing, null, 2)}\n`);
    fsyncDir(tmp);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
    fsyncDir(dirname(target));
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return MODEL_EXPORT_FILES.reduce((total, file) => total + statSync(join(target, file)).size, 0);
}

/** Writes the metrics CSV at `target` atomically; returns its size. */
export function exportMetricsCsv(metrics: readonly MetricEvent[], target: string): number {
  mkdirSync(dirname(target), { recursive: true });
  const csv = metricsToCsv(metrics);
  atomicWriteFileSync(target, csv);
  return Buffer.byteLength(csv);
}
