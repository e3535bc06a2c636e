/** Run folders for inference tests: a zoo network saved as a checkpoint, without training it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { TrainConfigSchema, type TrainConfigInput } from '../../../src-main/contract';
import { channelStats } from '../../../src-main/data/batches';
import { loadDataset, type LoadedDataset } from '../../../src-main/data/datasets';
import { describePreprocessing, writePreprocessing } from '../../../src-main/data/preprocess';
import { RunStore } from '../../../src-main/store/runs';
import { saveCheckpoint, type CheckpointState } from '../../../src-main/train/checkpoint';
import { planTraining } from '../../../src-main/train/loop';
import { createOptimizer } from '../../../src-main/train/optimizers';
import { createModel } from '../../../src-main/zoo';
import { initBackend } from '../../../src-main/engine';
import { repoRoot } from '../helpers/build';

export const DATASET_ROOTS = [join(repoRoot, 'resources', 'datasets')];

let fashion: Promise<LoadedDataset> | null = null;
export function fashionMnist(): Promise<LoadedDataset> {
  fashion ??= loadDataset({ roots: DATASET_ROOTS }, 'fashion-mnist-subset');
  return fashion;
}

let backend: ReturnType<typeof initBackend> | null = null;

export interface FixtureRun {
  home: string;
  runId: string;
  store: RunStore;
}

/**
 * A run of `model` on the bundled Fashion-MNIST subset with random weights saved as its `last`
 * (and `best`) checkpoint; `withPreprocessing` also writes preprocessing.json as training will.
 */
export async function makeRun(options: { model?: string; overrides?: Record<string, unknown>; withPreprocessing?: boolean; best?: boolean; home?: string } = {}): Promise<FixtureRun> {
  backend ??= initBackend();
  await backend;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'cvb-infer-'));
  const store = new RunStore(home);
  const input: TrainConfigInput = { model: options.model ?? 'resnet20', epochs: 1, batchSize: 16, learningRate: 0.01, optimizer: 'sgd' };
  const config = TrainConfigSchema.parse(input);
  const record = store.create(config, { workbench: 'test' });
  store.update(record.id, { status: 'completed' });
  const dataset = await fashionMnist();
  const model = createModel(config.model, { input: dataset.info.input, classes: dataset.info.classes.length, ...options.overrides });
  const optimizer = createOptimizer(config);
  const state = { epoch: 1, step: 1, savedAt: new Date().toISOString() } as CheckpointState;
  const checkpoints = join(store.runDir(record.id), 'checkpoints');
  const names = options.best === false ? ['last'] : ['last', 'best'];
  for (const name of names) {
    const dir = await saveCheckpoint(checkpoints, name, model, optimizer, state);
    if (options.withPreprocessing) {
      const norm = channelStats(dataset.train, dataset.info.input[2], planTraining(config, dataset.train).trainIndices);
      writePreprocessing(dir, describePreprocessing(dataset.info.input, dataset.info.classes, norm));
    }
  }
  model.dispose();
  optimizer.dispose();
  return { home, runId: record.id, store };
}

/** A dataset image as a lossless PNG file's bytes (28×28 grayscale). */
export async function datasetPng(dataset: LoadedDataset, index: number): Promise<Buffer> {
  const [height, width, channels] = dataset.info.input;
  const size = height * width * channels;
  const pixels = Buffer.from(dataset.train.images.subarray(index * size, (index + 1) * size));
  return sharp(pixels, { raw: { width, height, channels: channels as 1 | 3 } }).png().toBuffer();
}
