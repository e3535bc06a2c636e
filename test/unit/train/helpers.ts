/** Tiny in-memory datasets and models so the training tests run in seconds on busy cores. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TrainConfigSchema, type MetricEvent, type StepMetric, type TrainConfig, type TrainConfigInput } from '../../../src-main/contract';
import type { LoadedDataset } from '../../../src-main/data/datasets';
import { Mulberry32, withMathRandom } from '../../../src-main/train/random';

/**
 * `count` images of size×size×channels whose class shows in their brightness pattern, so a model
 * can learn something in a few steps.
 */
export function tinyDataset(count = 48, classes = 10, size = 8, channels = 3, seed = 7): LoadedDataset {
  const random = new Mulberry32(seed);
  const pixels = size * size * channels;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = label;
    for (let p = 0; p < pixels; p++) {
      const signal = (p * (label + 1)) % 7 === 0 ? 120 : 0;
      images[n * pixels + p] = Math.min(255, signal + Math.floor(random.next() * 120));
    }
  }
  const split = { images, labels, count };
  return {
    info: {
      id: 'tiny',
      name: 'tiny',
      classes: Array.from({ length: classes }, (_, i) => `class${i}`),
      input: [size, size, channels],
      trainCount: count,
      testCount: count,
      source: 'test',
    },
    train: split,
    test: split,
  };
}

/** conv → flatten → dropout → dense: small, with a random op in its forward pass. */
export function tinyConvNet(seed: number, input: [number, number, number] = [8, 8, 3], classes = 10, dropout = 0.25): tfl.LayersModel {
  return withMathRandom(new Mulberry32(seed).next, () => {
    const x = tfl.input({ shape: input });
    let y = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }).apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: 'bn' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.activation({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.flatten().apply(y) as tfl.SymbolicTensor;
    if (dropout > 0) y = tfl.layers.dropout({ rate: dropout }).apply(y) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: classes, name: 'fc' }).apply(y) as tfl.SymbolicTensor;
    return tfl.model({ inputs: x, outputs: logits });
  });
}

export function trainConfig(overrides: Partial<TrainConfigInput> = {}): TrainConfig {
  return TrainConfigSchema.parse({ model: 'resnet20', dataset: 'tiny', epochs: 3, batchSize: 16, learningRate: 0.05, optimizer: 'momentum', validationFraction: 0.25, seed: 3, ...overrides });
}

export function stepLosses(events: MetricEvent[]): number[] {
  return events.filter((e): e is StepMetric => e.type === 'step').map((e) => e.loss);
}

export async function onBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    const { initBackend } = await import('../../../src-main/engine');
    await initBackend('wasm');
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
}
