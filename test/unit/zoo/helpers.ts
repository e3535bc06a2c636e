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
  if ('auxDropout' in switches) options.auxDropout = 0;
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

/**
 * Loss before and after one SGD step on the batch, and whether every gradient was finite.
 * The step is clipped to global norm 1 and backtracked (learning rate 1e-3, then ÷10 up to three
 * times) because the narrow test builds (one channel per ResNeXt group, batch-norm statistics
 * over a handful of values) have very sharp losses; a wrong gradient fails at every size.
 */
export function trainOneStep(model: tfl.LayersModel, x: tf.Tensor, labels: tf.Tensor): { before: number; after: number; finiteGrads: boolean } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => lossOf(model, x, labels), variables);
  const before = value.dataSync()[0];
  const finiteGrads = Object.values(grads).every((g) => tf.tidy(() => tf.all(tf.isFinite(g)).dataSync()[0] === 1));
  const norm = Math.sqrt(Object.values(grads).reduce((sum, g) => sum + tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]), 0));
  const saved = variables.map((v) => v.clone());
  let after = Infinity;
  for (let learningRate = 1e-3; learningRate >= 1e-6 && !(after < before); learningRate /= 10) {
    variables.forEach((v, i) => v.assign(saved[i]));
    const scale = learningRate * Math.min(1, 1 / norm);
    const step = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([key, g]) => [key, tf.mul(g, scale)])));
    tf.train.sgd(1).applyGradients(step);
    tf.dispose(step);
    after = tf.tidy(() => lossOf(model, x, labels).dataSync()[0]);
  }
  tf.dispose([value, grads, saved]);
  return { before, after, finiteGrads };
}
