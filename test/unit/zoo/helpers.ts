/** Shared by the zoo tests: the cpu backend, small builds of every model, one training step. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { getModelMeta, outputLossWeights, type BuildOptions } from '../../../src-main/zoo';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A build of `name` small enough for a unit test: small input, narrow layers, no dropout. */
export function smallOptions(name: string): Partial<BuildOptions> {
  const meta = getModelMeta(name);
  if (!meta) throw new Error(`unknown model ${name}`);
  const switches = meta.switches ?? {};
  const options: Partial<BuildOptions> = { classes: 5, dropout: 0 };
  if ('smallInput' in switches) {
    // The cpu backend's convolution gradients are plain loops: keep the ImageNet families tiny.
    Object.assign(options, { input: [16, 16, 3], smallInput: true, widthMultiplier: 1 / 16 });
  } else {
    // Small-image variants: Fashion-MNIST's shape.
    Object.assign(options, { input: [28, 28, 1], widthMultiplier: 0.25 });
  }
  if ('auxHeads' in switches) Object.assign(options, { auxHeads: true, training: true });
  return options;
}

/** Weighted softmax cross-entropy over every output (aux outputs weighted as the model says). */
export function lossOf(model: tfl.LayersModel, x: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const weights = outputLossWeights(model);
  return tf.addN(list.map((logits, i) => tf.mul(tf.losses.softmaxCrossEntropy(labels, logits), weights[i]))) as tf.Scalar;
}

/** A fixed batch: seeded normal images and one-hot labels 0, 1, 2, ... */
export function fixedBatch(input: [number, number, number], classes: number, batch = 2): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  const x = tf.randomNormal([batch, ...input], 0, 1, 'float32', 42) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32'), classes) as tf.Tensor2D;
  return { x, labels };
}

/** Loss before and after one SGD step on the batch, and whether any gradient was not finite. */
export function trainOneStep(model: tfl.LayersModel, x: tf.Tensor, labels: tf.Tensor, learningRate = 1e-3): { before: number; after: number; finiteGrads: boolean } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => lossOf(model, x, labels), variables);
  const before = value.dataSync()[0];
  const finiteGrads = Object.values(grads).every((g) => tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0] === 1));
  tf.train.sgd(learningRate).applyGradients(grads);
  tf.dispose([value, grads]);
  const afterTensor = tf.tidy(() => lossOf(model, x, labels));
  const after = afterTensor.dataSync()[0];
  afterTensor.dispose();
  return { before, after, finiteGrads };
}
