// Grad-CAM where the answer is known: a small network learns to tell a bright square from a bright
// cross, each drawn at a random place on noise; the heatmap of its predicted class must peak on
// the shape.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine';
import { defaultCamLayer, gradCam, resizeBilinear } from '../../../src-main/infer/gradcam';
import { runGraph } from '../../../src-main/infer/graph';
import { Mulberry32, withMathRandom } from '../../../src-main/train/random';

const SIZE = 24;
const SHAPE = 7;

/** A seeded generator (mulberry32) so the test sees the same images every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  pixels: Float32Array;
  label: number;
  /** The shape's box: top, left (inclusive), SHAPE pixels a side. */
  top: number;
  left: number;
}

function sample(next: () => number): Sample {
  const pixels = new Float32Array(SIZE * SIZE);
  for (let p = 0; p < pixels.length; p++) pixels[p] = next() * 0.35;
  const label = next() < 0.5 ? 0 : 1;
  const top = Math.floor(next() * (SIZE - SHAPE + 1));
  const left = Math.floor(next() * (SIZE - SHAPE + 1));
  const middle = Math.floor(SHAPE / 2);
  for (let y = 0; y < SHAPE; y++) {
    for (let x = 0; x < SHAPE; x++) {
      const inside = label === 0 ? y >= 1 && y < SHAPE - 1 && x >= 1 && x < SHAPE - 1 : Math.abs(y - middle) <= 0 || Math.abs(x - middle) <= 0;
      if (inside) pixels[(top + y) * SIZE + left + x] = 0.9 + next() * 0.1;
    }
  }
  return { pixels, label, top, left };
}

function batch(samples: Sample[]): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const data = new Float32Array(samples.length * SIZE * SIZE);
  samples.forEach((s, i) => data.set(s.pixels, i * SIZE * SIZE));
  return { x: tf.tensor4d(data, [samples.length, SIZE, SIZE, 1]), y: tf.cast(tf.oneHot(samples.map((s) => s.label), 2), 'float32') as tf.Tensor2D };
}

function buildNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [SIZE, SIZE, 1] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 2, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

let model: tfl.LayersModel;

beforeAll(async () => {
  await initBackend();
  const next = random(7);
  // Seeded initial weights: the same network every run.
  model = withMathRandom(new Mulberry32(3).next, buildNet);
  const optimizer = tf.train.adam(0.01);
  for (let step = 0; step < 60; step++) {
    const { x, y } = batch(Array.from({ length: 32 }, () => sample(next)));
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
    tf.dispose([x, y]);
  }
}, 120_000);

describe('Grad-CAM sanity on generated shapes', () => {
  it('learns the task, and its heatmap peaks inside the shape for most images', () => {
    const next = random(1234);
    const samples = Array.from({ length: 40 }, () => sample(next));
    const { x, y } = batch(samples);
    const predicted = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, -1).arraySync() as number[]);
    const accuracy = predicted.filter((p, i) => p === samples[i].label).length / samples.length;
    tf.dispose([x, y]);
    expect(accuracy).toBeGreaterThan(0.85);

    expect(defaultCamLayer(model)).toBe('conv2');
    let inside = 0;
    samples.forEach((s, i) => {
      const input = tf.tensor4d(s.pixels, [1, SIZE, SIZE, 1]);
      const cam = gradCam(model, input, 'conv2', predicted[i]);
      input.dispose();
      const up = resizeBilinear(cam.values, cam.height, cam.width, SIZE, SIZE);
      const peak = up.indexOf(Math.max(...up));
      const [py, px] = [Math.floor(peak / SIZE), peak % SIZE];
      // One pixel of slack: the map is 12×12 for a 24×24 image.
      if (py >= s.top - 1 && py <= s.top + SHAPE && px >= s.left - 1 && px <= s.left + SHAPE) inside++;
    });
    expect(inside / samples.length).toBeGreaterThanOrEqual(0.8);
  });

  it('runs the graph layer by layer to the same output as predict', () => {
    const s = sample(random(5));
    const x = tf.tensor4d(s.pixels, [1, SIZE, SIZE, 1]);
    const [ours, theirs] = tf.tidy(() => [runGraph(model, x).outputs[0].arraySync(), (model.predict(x) as tf.Tensor).arraySync()]);
    x.dispose();
    expect(ours).toEqual(theirs);
  });

  it('leaks no tensors', () => {
    const s = sample(random(6));
    const x = tf.tensor4d(s.pixels, [1, SIZE, SIZE, 1]);
    gradCam(model, x, 'conv2', 0);
    const before = tf.memory().numTensors;
    gradCam(model, x, 'conv2', 1);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
