/**
 * Evaluation of a trained run on its dataset's test split: top-1 and top-5 accuracy, per-class
 * precision and recall, the confusion matrix, and each image's prediction (for the confusion cell
 * browser), written to runs/<id>/eval/. Runs where TF.js is loaded: the eval child process
 * (eval-process.ts) for on-demand evaluations, or the training worker at the end of a run.
 *
 * The model and its preprocessing come from infer/models.ts's loadModel, the loader inference
 * uses: checkpoints/best (else last), custom layers registered by the zoo, preprocessing.json
 * next to the checkpoint when there is one, else the training statistics computed again.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointName, EvalResult, PerClassMetrics } from '../contract';
import { gatherBatch, type Normalization } from '../data/batches';
import { loadDataset, type Split } from '../data/datasets';
import { writeEvaluation, type EvalPredictions } from '../store/evaluation';
import type { RunStore } from '../store/runs';
import { endsInSoftmax } from '../zoo';
import { loadModel } from './models';

export interface ModelEvaluation {
  accuracy: number;
  top5: number | null;
  perClass: PerClassMetrics[];
  confusion: number[][];
  predictions: Omit<EvalPredictions, 'evaluatedAt'>;
}

/** Softmax of the first output unless the network already ends in one. */
function probabilities(model: LayersModel, softmaxed: boolean, x: tf.Tensor4D): tf.Tensor2D {
  const raw = model.predict(x) as tf.Tensor | tf.Tensor[];
  const output = (Array.isArray(raw) ? raw[0] : raw) as tf.Tensor2D;
  return softmaxed ? output : tf.softmax(output);
}

/** Metrics of a confusion matrix (confusion[actual][predicted]). */
export function confusionMetrics(confusion: number[][], classes: string[]): { accuracy: number; perClass: PerClassMetrics[] } {
  const n = classes.length;
  let correct = 0;
  let total = 0;
  const perClass = classes.map((name, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    let predictedAs = 0;
    for (let r = 0; r < n; r++) predictedAs += confusion[r][c];
    const tp = confusion[c][c];
    correct += tp;
    total += support;
    // A class never predicted has precision 0 (scikit-learn's zero_division=0); never present, recall 0.
    return { class: name, precision: predictedAs ? tp / predictedAs : 0, recall: support ? tp / support : 0, support };
  });
  return { accuracy: total ? correct / total : 0, perClass };
}

/** How a model reads its images: the input it was built for, its classes and the training normalization. */
export interface EvaluationInput {
  input: [number, number, number];
  classes: string[];
  norm: Normalization;
  /** Images per forward pass (default 64). */
  batchSize?: number;
}

/** Runs `model` over every image of `split`, normalized as in training, `batchSize` at a time. */
export async function evaluateModel(model: LayersModel, split: Split, { input, classes, norm, batchSize = 64 }: EvaluationInput): Promise<ModelEvaluation> {
  const [height, width, channels] = input;
  const n = classes.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const labels: number[] = [];
  const predicted: number[] = [];
  const confidence: number[] = [];
  let top5Hits = 0;
  const buffer = new Float32Array(batchSize * height * width * channels);
  const softmaxed = endsInSoftmax(model);
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    const indices = Array.from({ length: count }, (_, i) => start + i);
    const data = gatherBatch(split, indices, channels, norm, buffer.subarray(0, count * height * width * channels));
    const probs = tf.tidy(() => probabilities(model, softmaxed, tf.tensor4d(data, [count, height, width, channels])));
    const values = (await probs.data()) as Float32Array;
    probs.dispose();
    const outputs = values.length / count;
    if (outputs !== n) throw new Error(`the network gives ${outputs} outputs per image but the dataset has ${n} classes`);
    for (let i = 0; i < count; i++) {
      const row = values.subarray(i * n, (i + 1) * n);
      const label = split.labels[start + i];
      let best = 0;
      for (let c = 1; c < n; c++) if (row[c] > row[best]) best = c;
      // Rank of the true class: how many classes scored strictly higher.
      let above = 0;
      for (let c = 0; c < n; c++) if (row[c] > row[label]) above++;
      if (above < 5) top5Hits++;
      confusion[label][best]++;
      labels.push(label);
      predicted.push(best);
      confidence.push(Math.round(row[best] * 1e6) / 1e6);
    }
    // Let the event loop breathe between batches (IPC messages, a stop).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { accuracy, perClass } = confusionMetrics(confusion, classes);
  return { accuracy, top5: n > 5 && split.count ? top5Hits / split.count : null, perClass, confusion, predictions: { labels, predicted, confidence } };
}

export interface EvaluateRunOptions {
  store: RunStore;
  runId: string;
  datasetRoots: string[];
  checkpoint?: CheckpointName;
  batchSize?: number;
}

/** Evaluates a run's checkpoint on the test split and saves the result in runs/<id>/eval/. */
export async function evaluateRun(options: EvaluateRunOptions): Promise<EvalResult> {
  const started = performance.now();
  const { store, runId, datasetRoots } = options;
  const loaded = await loadModel(store, runId, options.checkpoint ?? 'best', datasetRoots);
  try {
    const dataset = await loadDataset({ roots: datasetRoots }, loaded.dataset);
    if (dataset.test.count === 0) throw new Error(`dataset "${loaded.dataset}" has no test split to evaluate on`);
    const { input, classes, mean, std } = loaded.preprocessing;
    const evaluation = await evaluateModel(loaded.model, dataset.test, { input, classes, norm: { mean, std }, batchSize: options.batchSize });
    const state = readState(join(store.runDir(runId), 'checkpoints', loaded.checkpoint));
    const result: EvalResult = {
      runId,
      checkpoint: loaded.checkpoint,
      epoch: state?.epoch ?? null,
      step: state?.step ?? null,
      dataset: loaded.dataset,
      classes,
      count: dataset.test.count,
      accuracy: evaluation.accuracy,
      top5: evaluation.top5,
      perClass: evaluation.perClass,
      confusion: evaluation.confusion,
      evaluatedAt: new Date().toISOString(),
      ms: Math.round(performance.now() - started),
    };
    writeEvaluation(store.runDir(runId), result, { evaluatedAt: result.evaluatedAt, ...evaluation.predictions });
    return result;
  } finally {
    loaded.model.dispose();
  }
}

function readState(dir: string): { epoch: number; step: number } | null {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return null;
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { epoch?: unknown; step?: unknown };
    return typeof state.epoch === 'number' && typeof state.step === 'number' ? { epoch: state.epoch, step: state.step } : null;
  } catch {
    return null;
  }
}
