/**
 * The batch pipeline in the training loop: a worker thread prepares the next batches while the step
 * runs. Vitest runs the TypeScript sources, where no bundled batch-worker.js sits next to them (the
 * loop then falls back to the training thread); these tests bundle the worker entry with esbuild,
 * exactly as scripts/build-main.mjs does, and pass it to the loop explicitly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBatchWorker } from '../helpers/build';
import type { EpochMetric, MetricEvent, TrainConfig } from '../../../src-main/contract';
import { augmentBatch, normalizeBatch } from '../../../src-main/data/augment';
import { channelStats, gatherBatch } from '../../../src-main/data/batches';
import { memorySource } from '../../../src-main/data/cache';
import { benchmarkPipeline } from '../../../src-main/data/pipeline';
import { createBatchProducer, liveBatchWorkers, type BatchProducer, type PipelineMode, type PipelineStats } from '../../../src-main/data/batch-producer';
import '../../../src-main/engine';
import { loadCheckpoint, saveCheckpoint } from '../../../src-main/train/checkpoint';
import { runTraining, type TrainOptions } from '../../../src-main/train/loop';
import { Mulberry32, streamSeeds } from '../../../src-main/train/random';
import { onBackend, stepLosses, tinyConvNet, tinyDataset, trainConfig } from './helpers';

let workerEntry = '';
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvb-prefetch-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  workerEntry = await bundleBatchWorker('prefetch');
  await onBackend('cpu');
});
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const dataset = tinyDataset(52);
const augmentation = { randomCrop: { padding: 2 }, horizontalFlip: true, colorJitter: { brightness: 0.2, contrast: 0.2, saturation: 0.3 } };

interface Recorded {
  events: MetricEvent[];
  outcome: string;
  pipeline: PipelineStats & { streaming: boolean; waitSeconds: number };
  workersDuringRun: number;
}

async function train(config: TrainConfig, model: LayersModel, pipeline: PipelineMode, opts: { stopAfter?: number; dir?: string; resumeFrom?: string; onEpoch?: () => void } = {}): Promise<Recorded> {
  const events: MetricEvent[] = [];
  const resume = opts.resumeFrom ? loadCheckpoint(opts.resumeFrom, model) : undefined;
  let steps = 0;
  let workersDuringRun = -1;
  let stats: Recorded['pipeline'] | undefined;
  const options: TrainOptions = { pipeline, batchWorkerEntry: workerEntry, onPipeline: (s) => (stats = s), ...(resume ? { resume } : {}) };
  const outcome = await runTraining(
    config,
    dataset,
    model,
    {
      shouldStop: () => opts.stopAfter !== undefined && steps >= opts.stopAfter,
      onMetric: (event) => {
        events.push(event);
        if (event.type === 'step') steps++;
        workersDuringRun = Math.max(workersDuringRun, liveBatchWorkers());
      },
      onCheckpoint: async ({ state, model: trained, optimizer }) => {
        if (opts.dir) await saveCheckpoint(opts.dir, 'last', trained, optimizer, state);
        opts.onEpoch?.();
      },
    },
    options,
  );
  return { events, outcome, pipeline: stats!, workersDuringRun };
}

describe('the batch producer', () => {
  const norm = channelStats(dataset.train, 3);
  const spec = { shape: [8, 8, 3] as [number, number, number], norm, augment: augmentation };
  const indices = [Uint32Array.of(3, 1, 4, 15, 9, 2, 6), Uint32Array.of(5, 35, 8, 9, 7, 9, 32, 3, 8), Uint32Array.of(4, 6, 2, 6, 4, 3)];

  async function drain(producer: BatchProducer, augment: boolean) {
    try {
      // All requested before any is awaited: prefetch must not change the augmentation draws.
      const jobs = indices.map((batch) => producer.request('train', batch, augment));
      return await Promise.all(jobs);
    } finally {
      await producer.close();
    }
  }

  it.each([true, false])('gives the worker thread the same batches as the training thread and the previous in-loop code (augment %s)', async (augment) => {
    const seed = streamSeeds(3).augment;
    const options = { sources: { train: dataset.train }, spec, augmentState: seed, workerEntry };
    const worker = await createBatchProducer({ ...options, mode: 'worker' });
    expect(worker.mode).toBe('worker');
    const fromWorker = await drain(worker, augment);
    const fromThread = await drain(await createBatchProducer({ ...options, mode: 'thread' }), augment);
    // What runTraining computed in the step before the pipeline existed.
    const random = new Mulberry32(seed);
    const reference = indices.map((batch) => {
      if (!augment) return gatherBatch(dataset.train, batch, 3, norm);
      const raw = new Uint8Array(batch.length * 192);
      batch.forEach((index, n) => raw.set(dataset.train.images.subarray(index * 192, (index + 1) * 192), n * 192));
      return normalizeBatch(augmentBatch(raw, [batch.length, 8, 8, 3], augmentation, random.next), 3, norm);
    });
    for (let k = 0; k < indices.length; k++) {
      expect(fromWorker[k].x).toEqual(reference[k]);
      expect(fromThread[k].x).toEqual(reference[k]);
      expect(Array.from(fromWorker[k].y)).toEqual(Array.from(indices[k], (i) => dataset.train.labels[i]));
      expect(fromWorker[k].augmentState).toBe(fromThread[k].augmentState);
    }
    expect(fromWorker[2].augmentState).toBe(augment ? random.state : seed);
    expect(liveBatchWorkers()).toBe(0);
  });

  it('benchmarks the producer the loop uses (worker thread) next to the in-thread iterator', async () => {
    const common = { source: memorySource(dataset.train), batchSize: 8, shape: [8, 8, 3] as [number, number, number], norm, augment: augmentation, minSeconds: 0.2 };
    const iterator = await benchmarkPipeline(common);
    const worker = await benchmarkPipeline({ ...common, split: dataset.train, mode: 'worker', workerEntry });
    expect(iterator).toMatchObject({ mode: 'iterator', augmented: true });
    expect(worker).toMatchObject({ mode: 'worker', augmented: true, images: 52 });
    expect(worker.imagesPerSec).toBeGreaterThan(0);
    expect(liveBatchWorkers()).toBe(0);
  });

  it('falls back to the training thread when no worker entry exists (auto), and refuses when a worker is required', async () => {
    const options = { sources: { train: dataset.train }, spec, augmentState: 1, workerEntry: join(tempDir(), 'missing.js') };
    const producer = await createBatchProducer({ ...options, mode: 'auto' });
    expect(producer.mode).toBe('thread');
    expect(producer.stats().fallbackReason).toContain('no batch worker');
    await producer.close();
    await expect(createBatchProducer({ ...options, mode: 'worker' })).rejects.toThrow(/does not exist/);
  });
});

describe('the training loop with the batch worker', () => {
  it('gives the same losses with prefetch in a worker thread as in the training thread, with augmentation, and ends the worker', async () => {
    const config = trainConfig({ epochs: 2, augmentation, optimizer: 'adam', learningRate: 0.01 });
    const inWorker = await train(config, tinyConvNet(7, undefined, 10, 0.5), 'worker');
    const inThread = await train(config, tinyConvNet(7, undefined, 10, 0.5), 'thread');
    expect(inWorker.pipeline).toMatchObject({ mode: 'worker', streaming: false, batches: expect.any(Number) });
    expect(inThread.pipeline.mode).toBe('thread');
    expect(stepLosses(inWorker.events)).toEqual(stepLosses(inThread.events));
    const val = (r: Recorded) => r.events.filter((e): e is EpochMetric => e.type === 'epoch').map((e) => [e.valLoss, e.valAccuracy]);
    expect(val(inWorker)).toEqual(val(inThread));
    expect(inWorker.workersDuringRun).toBe(1);
    expect(liveBatchWorkers()).toBe(0);
  });

  it.each([
    ['mid-epoch', 4],
    ['at an epoch boundary', 3],
  ])('resumes exactly after a stop %s with prefetch on (losses within 1e-5), and ends the worker on stop', async (_, stopAfter) => {
    const config = trainConfig({ epochs: 3, optimizer: 'rmsprop', learningRate: 0.01, schedule: { type: 'cosine' }, augmentation });
    const whole = await train(config, tinyConvNet(9, undefined, 10, 0.5), 'worker');
    const dir = tempDir();
    const first = await train(config, tinyConvNet(9, undefined, 10, 0.5), 'worker', { stopAfter, dir });
    expect(first.outcome).toBe('stopped');
    expect(first.workersDuringRun).toBe(1);
    expect(liveBatchWorkers()).toBe(0);
    const rest = await train(config, tinyConvNet(11, undefined, 10, 0.5), 'worker', { resumeFrom: join(dir, 'last') });
    expect(rest.outcome).toBe('completed');
    const resumed = [...stepLosses(first.events), ...stepLosses(rest.events)];
    const reference = stepLosses(whole.events);
    expect(resumed.length).toBe(reference.length);
    expect(Math.max(...resumed.map((loss, i) => Math.abs(loss - reference[i])))).toBeLessThanOrEqual(1e-5);
    // A stopped run prefetched batches it never used: they must not shift the resumed stream.
    const thread = await train(config, tinyConvNet(9, undefined, 10, 0.5), 'thread');
    expect(stepLosses(thread.events)).toEqual(reference);
  });

  it('keeps the number of tensors the same after every epoch and ends the worker after a divergence', async () => {
    const config = trainConfig({ epochs: 3, augmentation });
    const counts: number[] = [];
    await train(config, tinyConvNet(2), 'worker', { onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(3);
    expect(new Set(counts).size).toBe(1);

    const model = tinyConvNet(4, undefined, 10, 0);
    const error = await runTraining(trainConfig({ epochs: 2, learningRate: 0.2, optimizer: 'sgd' }), dataset, model, {
      shouldStop: () => false,
      onMetric: () => {},
      onCheckpoint: async () => {
        const fc = model.getLayer('fc');
        const nan = tf.fill(fc.getWeights()[0].shape, NaN);
        fc.setWeights([nan, fc.getWeights()[1]]);
        nan.dispose();
      },
    }, { pipeline: 'worker', batchWorkerEntry: workerEntry }).then(() => null, (e: unknown) => e);
    expect((error as Error).name).toBe('DivergenceError');
    expect(liveBatchWorkers()).toBe(0);
  });
});
