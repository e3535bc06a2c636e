/**
 * Datasets larger than the memory budget stream from their cache in training; the dataset's own
 * validation split (from train/val/test folders) replaces the run's validation fraction.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBatchWorker } from '../helpers/build';
import type { EpochMetric, MetricEvent, TrainConfig } from '../../../src-main/contract';
import { channelStats } from '../../../src-main/data/batches';
import { liveBatchWorkers, type PipelineMode } from '../../../src-main/data/batch-producer';
import { isStreamed, loadDataset, openTrainingDataset, type TrainingDataset } from '../../../src-main/data/datasets';
import { importDataset } from '../../../src-main/data/import';
import '../../../src-main/engine';
import { runTraining, type TrainPlan } from '../../../src-main/train/loop';
import { onBackend, stepLosses, tinyConvNet, trainConfig } from '../train/helpers';
import { noise, solid, write } from './fixtures';

let workerEntry = '';
const work = mkdtempSync(join(tmpdir(), 'cvb-stream-'));
const datasetsDir = join(work, 'datasets');
const locations = { roots: [datasetsDir] };
afterAll(() => rmSync(work, { recursive: true, force: true }));

let withVal = '';
let carved = '';

beforeAll(async () => {
  workerEntry = await bundleBatchWorker('stream');
  // Classes differ in their dominant colour, so a tiny model learns something.
  const source = join(work, 'folders');
  const flat = join(work, 'flat');
  const colours: [number, number, number][] = [[200, 40, 40], [40, 200, 40], [40, 40, 200]];
  for (const [c, cls] of ['red', 'green', 'blue'].entries()) {
    for (const [split, n] of [['train', 14], ['val', 4], ['test', 2]] as const) {
      for (let i = 0; i < n; i++) {
        const image = await noise(8, 8, c * 1000 + i + (split === 'val' ? 500 : 0)).composite([{ input: await solid(8, 8, colours[c]).png().toBuffer(), blend: 'overlay' }]).png().toBuffer();
        write(join(source, split, cls, `${i}.png`), image);
        if (split === 'train') write(join(flat, cls, `${i}.png`), image);
      }
    }
  }
  withVal = (await importDataset({ path: source, datasetsDir, size: 8, name: 'with val' })).id;
  carved = (await importDataset({ path: flat, datasetsDir, size: 8, name: 'carved', validationFraction: 0, testFraction: 0 })).id;
  await onBackend('cpu');
});

interface Recorded {
  events: MetricEvent[];
  plan: TrainPlan;
  streaming: boolean;
  mode: string;
}

async function train(config: TrainConfig, dataset: TrainingDataset, model: LayersModel, pipeline: PipelineMode): Promise<Recorded> {
  const events: MetricEvent[] = [];
  let plan: TrainPlan | undefined;
  let streaming = false;
  let mode = '';
  await runTraining(
    config,
    dataset,
    model,
    { shouldStop: () => false, onStart: (p) => (plan = p), onMetric: (event) => events.push(event) },
    { pipeline, batchWorkerEntry: workerEntry, onPipeline: (stats) => ((streaming = stats.streaming), (mode = stats.mode)) },
  );
  return { events, plan: plan!, streaming, mode };
}

const epochs = (events: MetricEvent[]) => events.filter((e): e is EpochMetric => e.type === 'epoch');

describe('the lazy dataset loader', () => {
  it('keeps splits within the memory budget in shared memory and streams the others; loadDataset still loads everything', async () => {
    const inMemory = await openTrainingDataset(locations, withVal);
    expect(isStreamed(inMemory.train)).toBe(false);
    expect(inMemory.train.images!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(inMemory.val?.count).toBe(12);
    const whole = await loadDataset(locations, withVal);
    expect(Buffer.from(inMemory.train.images!).equals(Buffer.from(whole.train.images))).toBe(true);
    expect(whole.test.count).toBe(6);

    // 42 train images of 192 bytes: 8064 bytes. With 9000, train fits and val (2304) does not.
    const partly = await openTrainingDataset(locations, withVal, { memoryBudget: 9000 });
    expect([isStreamed(partly.train), isStreamed(partly.val!)]).toEqual([false, true]);
    const streamed = await openTrainingDataset(locations, withVal, { memoryBudget: 0 });
    expect(isStreamed(streamed.train)).toBe(true);
    expect(streamed.train.images).toBeUndefined();
    expect(Array.from(streamed.train.labels)).toEqual(Array.from(whole.train.labels));
    expect(streamed.normalization).toBeDefined();
  });
});

describe('training on a streamed dataset', () => {
  it.each(['thread', 'worker'] as const)('gives the same losses as in memory when the budget forces streaming (%s), validating on the val folder', async (pipeline) => {
    const config = trainConfig({ dataset: withVal, epochs: 2, batchSize: 8, augmentation: { randomCrop: { padding: 1 }, horizontalFlip: true }, learningRate: 0.02 });
    const inMemory = await train(config, await loadDataset(locations, withVal), tinyConvNet(5, [8, 8, 3], 3), 'thread');
    const streamed = await train(config, await openTrainingDataset(locations, withVal, { memoryBudget: 0 }), tinyConvNet(5, [8, 8, 3], 3), pipeline);
    expect([inMemory.streaming, streamed.streaming, streamed.mode]).toEqual([false, true, pipeline]);
    // The val folder is the validation split: all 42 train images train, the 12 val images validate.
    for (const run of [inMemory, streamed]) {
      expect(run.plan).toMatchObject({ validationSplit: 'val', stepsPerEpoch: 6 });
      expect(run.plan.trainIndices.length).toBe(42);
      expect(run.plan.validationIndices.length).toBe(12);
    }
    const a = stepLosses(inMemory.events);
    const b = stepLosses(streamed.events);
    expect(b.length).toBe(12);
    expect(Math.max(...a.map((loss, i) => Math.abs(loss - b[i])))).toBeLessThanOrEqual(1e-5);
    epochs(streamed.events).forEach((epoch, i) => {
      expect(epoch.valLoss).toBeCloseTo(epochs(inMemory.events)[i].valLoss!, 5);
      expect(epoch.valAccuracy).toBe(epochs(inMemory.events)[i].valAccuracy);
    });
    expect(liveBatchWorkers()).toBe(0);
  });

  it('carves the validation fraction out of a streamed train split and normalises with the manifest statistics', async () => {
    const dataset = await openTrainingDataset(locations, carved, { memoryBudget: 0 });
    expect(dataset.val).toBeUndefined();
    const config = trainConfig({ dataset: carved, epochs: 1, batchSize: 8, validationFraction: 0.25 });
    let norm: { mean: number[]; std: number[] } | undefined;
    const events: MetricEvent[] = [];
    await runTraining(config, dataset, tinyConvNet(6, [8, 8, 3], 3), { shouldStop: () => false, onStart: (_, n) => (norm = n), onMetric: (e) => events.push(e) }, { pipeline: 'worker', batchWorkerEntry: workerEntry });
    expect(norm).toEqual(dataset.normalization);
    const whole = await loadDataset(locations, carved);
    const exact = channelStats(whole.train, 3);
    norm!.mean.forEach((m, c) => expect(m).toBeCloseTo(exact.mean[c], 10));
    const [epoch] = epochs(events);
    expect(epoch.valAccuracy).not.toBeNull();
    // 14 per class, round(3.5) = 4 held out of each: 30 images train, in 4 batches of 8.
    expect(stepLosses(events).length).toBe(4);
  });
});
