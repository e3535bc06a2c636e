/**
 * Warm single-image latency of the workbench's inference path (request → worker → decode →
 * preprocessing → predict → answer) next to a bare `model.predict` of the same network on the same
 * backend, for resnet18 at 224×224 and resnet20 at 32×32. The target is the workbench within 1.5×.
 * It lives in core/ because it measures Core's inference service, which infer/ sits below.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { TrainConfigSchema, type BackendName } from '../contract';
import { createInferenceService } from './inference';
import { describePreprocessing, writePreprocessing } from '../data/preprocess';
import { initBackend } from '../engine';
import { RunStore } from '../store/runs';
import { saveCheckpoint, type CheckpointState } from '../train/checkpoint';
import { createOptimizer } from '../train/optimizers';
import { createModel } from '../zoo';

export interface InferenceBenchCase {
  model: string;
  size: number;
}

export interface InferenceBenchResult extends InferenceBenchCase {
  backend: string;
  /** Median milliseconds of one `model.predict` of a ready tensor, read back. */
  bareMs: number;
  /** Median milliseconds of one `infer.predict` request with a PNG, as a caller of Core sees it. */
  workbenchMs: number;
  /** The part of `workbenchMs` the worker spent on the image (decode, preprocessing, predict). */
  workerMs: number;
  ratio: number;
  /** How many side-by-side rounds the medians are of. */
  rounds: number;
}

export interface InferenceBenchOptions {
  /** The bundled inference worker (dist/main/infer-worker.js). */
  workerEntry: string;
  cases?: InferenceBenchCase[];
  /** Timed rounds per case, at least (default 20)... */
  repeats?: number;
  /** ...and more until this many seconds have passed (default 2): small models get hundreds. */
  minSeconds?: number;
  backend?: BackendName;
}

export const DEFAULT_INFERENCE_BENCH: InferenceBenchCase[] = [
  { model: 'resnet18', size: 224 },
  { model: 'resnet20', size: 32 },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchInference(options: InferenceBenchOptions): Promise<InferenceBenchResult[]> {
  const report = await initBackend(options.backend);
  const repeats = options.repeats ?? 20;
  const home = mkdtempSync(join(tmpdir(), 'cvb-infer-bench-'));
  const store = new RunStore(home);
  const inference = createInferenceService({ home, workerEntry: options.workerEntry, datasetRoots: [], backend: report.name });
  const results: InferenceBenchResult[] = [];
  try {
    for (const { model: name, size } of options.cases ?? DEFAULT_INFERENCE_BENCH) {
      const classes = Array.from({ length: 10 }, (_, i) => `class ${i}`);
      const config = TrainConfigSchema.parse({ model: name, epochs: 1, batchSize: 1, learningRate: 0.01, optimizer: 'sgd' });
      const record = store.create(config, { workbench: 'bench' });
      const model = createModel(name, { input: [size, size, 3], classes: classes.length });
      const optimizer = createOptimizer(config);
      const dir = await saveCheckpoint(join(store.runDir(record.id), 'checkpoints'), 'best', model, optimizer, { epoch: 1, step: 1 } as CheckpointState);
      writePreprocessing(dir, describePreprocessing([size, size, 3], classes, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));

      const png = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 120, g: 80, b: 200 } } }).png().toBuffer();
      const request = { runId: record.id, checkpoint: 'best' as const, topK: 5, images: [{ name: 'bench.png', data: png.toString('base64') }] };
      const x = tf.randomUniform([1, size, size, 3]);
      const bare: number[] = [];
      const workbench: number[] = [];
      const worker: number[] = [];
      // Side by side: each round times one bare predict and then one request, so a slow spell of
      // this (shared, noisy) machine weighs on both medians alike. Two rounds warm up both.
      const until = performance.now() + (options.minSeconds ?? 2) * 1000;
      for (let i = 0; i < repeats + 2 || performance.now() < until; i++) {
        let started = performance.now();
        const y = model.predict(x) as tf.Tensor;
        await y.data();
        y.dispose();
        const bareElapsed = performance.now() - started;
        started = performance.now();
        const response = await inference.handlers['infer.predict'](request);
        if (i >= 2) {
          bare.push(bareElapsed);
          workbench.push(performance.now() - started);
          worker.push(response.predictions[0].ms ?? NaN);
        }
      }
      tf.dispose([x]);
      model.dispose();
      optimizer.dispose();
      const bareMs = median(bare);
      const workbenchMs = median(workbench);
      results.push({ model: name, size, backend: report.name, bareMs, workbenchMs, workerMs: median(worker), ratio: workbenchMs / bareMs, rounds: bare.length });
    }
  } finally {
    await inference.close();
    rmSync(home, { recursive: true, force: true });
  }
  return results;
}
