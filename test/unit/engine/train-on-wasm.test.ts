import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../../src-main/engine';
import { seededValues } from './helpers';

const BATCH = 8;
const CLASSES = 4;

function fixedBatch(): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  const images = tf.tensor4d(seededValues(BATCH * 16 * 16 * 3, 1), [BATCH, 16, 16, 3]);
  const labels = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), CLASSES), 'float32') as tf.Tensor2D;
  return { images, labels };
}

beforeAll(async () => {
  const report = await initBackend('wasm');
  expect(report.name).toBe('wasm');
});

describe('a small CNN trains on the wasm backend', () => {
  it('Conv2D → BatchNorm → ReLU → MaxPool → AvgPool → Dense with tf.variableGrads: loss decreases', () => {
    tf.util.assert(tf.getBackend() === 'wasm', () => 'expected the wasm backend');
    const { images, labels } = fixedBatch();
    const init = <R extends tf.Rank>(shape: number[], seed: number) => tf.variable<R>(tf.mul(tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed), shape), 0.5) as tf.Tensor<R>);
    const conv1 = init<tf.Rank.R4>([3, 3, 3, 8], 2);
    const conv2 = init<tf.Rank.R4>([3, 3, 8, 8], 3);
    const gamma = tf.variable(tf.ones([8]) as tf.Tensor1D);
    const beta = tf.variable(tf.zeros([8]) as tf.Tensor1D);
    const dense = init([8 * 4 * 4, CLASSES], 4);
    const bias = tf.variable(tf.zeros([CLASSES]));
    const optimizer = tf.train.sgd(0.1);
    const loss = () =>
      tf.tidy(() => {
        let x: tf.Tensor4D = tf.conv2d(images, conv1, 1, 'same');
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        x = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-3);
        x = tf.relu(x);
        x = tf.maxPool(x, 2, 2, 'same'); // 8×8
        x = tf.conv2d(x, conv2, 2, 'same'); // stride 2: 4×4
        x = tf.avgPool(x, 3, 1, 'same');
        const logits = tf.add(tf.matMul(tf.reshape(x, [BATCH, -1]), dense), bias);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const { value, grads } = tf.variableGrads(loss);
      losses.push(value.dataSync()[0]);
      optimizer.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
  });

  it('a tfjs-layers model (conv, batch norm, depthwise conv, pooling, dense) fits a fixed batch', async () => {
    const { images, labels } = fixedBatch();
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', seed: 1 } as never),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: CLASSES, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const losses: number[] = [];
    for (let step = 0; step < 10; step++) {
      losses.push((await model.trainOnBatch(images, labels)) as number);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    model.dispose();
  });
});
