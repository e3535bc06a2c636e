import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type TrainConfigInput } from '../../../src-main/contract';
import '../../../src-main/engine';
import { applyUpdate, clipByGlobalNorm, crossEntropy, trainingLoss } from '../../../src-main/train/loop';
import { createOptimizer, isDecayed, setLearningRate, weightDecayOf } from '../../../src-main/train/optimizers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config = (overrides: Partial<TrainConfigInput>) => TrainConfigSchema.parse({ model: 'm', epochs: 1, batchSize: 1, learningRate: 0.1, ...overrides });

/**
 * Two updates of a kernel w (rank 2) and a bias b (rank 1) with fixed gradients, through the same
 * path as the loop (applyUpdate); returns the values after each update.
 */
function twoSteps(overrides: Partial<TrainConfigInput>, grads = [[0.5, -1], [2]]): number[][][] {
  const c = config(overrides);
  const w = tf.variable(tf.tensor2d([[1, -2]]));
  const b = tf.variable(tf.tensor1d([3]));
  const optimizer = createOptimizer(c);
  const rule = { decay: weightDecayOf(c), decayed: [isDecayed(w, c.decayNormAndBias), isDecayed(b, c.decayNormAndBias)], gradClipNorm: c.gradClipNorm };
  const after: number[][][] = [];
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => {
      applyUpdate(optimizer, [w, b], [tf.tensor2d([grads[0]]), tf.tensor1d(grads[1])], rule, c.learningRate);
    });
    after.push([Array.from(w.dataSync()), Array.from(b.dataSync())]);
  }
  tf.dispose([w, b]);
  optimizer.dispose();
  return after;
}

/** Reference updates written out per the PyTorch documentation, for one scalar parameter. */
function reference(kind: string, p0: number, g: number, lr: number, wd = 0): number[] {
  const out: number[] = [];
  let p = p0;
  let v = 0;
  let m = 0;
  let s = 0;
  for (let t = 1; t <= 2; t++) {
    let grad = g;
    if (kind === 'adamw') p *= 1 - lr * wd;
    else grad += wd * p;
    if (kind === 'sgd') p -= lr * grad;
    if (kind === 'momentum' || kind === 'nesterov') {
      v = 0.9 * v + grad;
      p -= lr * (kind === 'nesterov' ? grad + 0.9 * v : v);
    }
    if (kind === 'adam' || kind === 'adamw') {
      m = 0.9 * m + 0.1 * grad;
      s = 0.999 * s + 0.001 * grad * grad;
      p -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(s / (1 - 0.999 ** t)) + 1e-8);
    }
    if (kind === 'rmsprop') {
      // TF's RMSprop: ε inside the square root, decay 0.9.
      s = 0.9 * s + 0.1 * grad * grad;
      p -= (lr * grad) / Math.sqrt(s + 1e-8);
    }
    out.push(p);
  }
  return out;
}

describe('optimizers', () => {
  it.each([
    ['sgd', { optimizer: 'sgd' }],
    ['momentum', { optimizer: 'momentum' }],
    ['nesterov', { optimizer: 'momentum', nesterov: true }],
    ['adam', { optimizer: 'adam' }],
    ['rmsprop', { optimizer: 'rmsprop' }],
  ] as const)('%s matches its update rule', (kind, overrides) => {
    const steps = twoSteps(overrides);
    const expected = reference(kind, 1, 0.5, 0.1);
    expect(steps[0][0][0]).toBeCloseTo(expected[0], 5);
    expect(steps[1][0][0]).toBeCloseTo(expected[1], 5);
    expect(steps[1][1][0]).toBeCloseTo(reference(kind, 3, 2, 0.1)[1], 5);
  });

  it('L2 weight decay goes into the gradient of kernels, not of biases', () => {
    const steps = twoSteps({ optimizer: 'momentum', weightDecay: 0.01 });
    expect(steps[1][0][0]).toBeCloseTo(reference('momentum', 1, 0.5, 0.1, 0.01)[1], 5);
    expect(steps[1][1][0]).toBeCloseTo(reference('momentum', 3, 2, 0.1, 0)[1], 5);
    const all = twoSteps({ optimizer: 'momentum', weightDecay: 0.01, decayNormAndBias: true });
    expect(all[1][1][0]).toBeCloseTo(reference('momentum', 3, 2, 0.1, 0.01)[1], 5);
  });

  it('AdamW decays the weights decoupled (PyTorch AdamW), and by 0.01 by default', () => {
    expect(weightDecayOf(config({ optimizer: 'adamw' }))).toEqual({ l2: 0, decoupled: 0.01 });
    expect(weightDecayOf(config({ optimizer: 'adam', weightDecay: 0.1 }))).toEqual({ l2: 0.1, decoupled: 0 });
    const steps = twoSteps({ optimizer: 'adamw', weightDecay: 0.1 });
    expect(steps[1][0][0]).toBeCloseTo(reference('adamw', 1, 0.5, 0.1, 0.1)[1], 5);
    expect(steps[1][1][0]).toBeCloseTo(reference('adam', 3, 2, 0.1)[1], 5);
  });

  it('clips the gradient to a global norm before the update', () => {
    // |g| = √(0.5² + 1² + 2²) ≈ 2.29 → scaled to norm 1.
    const clipped = twoSteps({ optimizer: 'sgd', gradClipNorm: 1 });
    const norm = Math.sqrt(0.25 + 1 + 4);
    expect(clipped[0][0][0]).toBeCloseTo(1 - (0.1 * 0.5) / norm, 5);
    expect(clipped[0][1][0]).toBeCloseTo(3 - (0.1 * 2) / norm, 5);
    tf.tidy(() => {
      const grads = [tf.tensor1d([3, 4])];
      expect(Array.from(clipByGlobalNorm(grads, tf.scalar(5), 10)[0].dataSync())).toEqual([3, 4]);
      const small = clipByGlobalNorm(grads, tf.scalar(5), 1)[0].dataSync();
      expect(small[0]).toBeCloseTo(0.6, 5);
      expect(small[1]).toBeCloseTo(0.8, 5);
    });
  });

  it('changes the learning rate of every optimizer between steps', () => {
    for (const optimizer of ['sgd', 'momentum', 'adam', 'rmsprop'] as const) {
      const opt = createOptimizer(config({ optimizer }));
      setLearningRate(opt, 0.5);
      expect((opt as unknown as { learningRate: number }).learningRate).toBe(0.5);
      opt.dispose();
    }
  });
});

describe('losses', () => {
  it('label smoothing: targets (1 − ε)·one-hot + ε/K', () => {
    const logits = [2, 0.5, -1];
    const ε = 0.1;
    const logSum = Math.log(logits.reduce((s, l) => s + Math.exp(l), 0));
    const logSoftmax = logits.map((l) => l - logSum);
    const targets = [1 - ε + ε / 3, ε / 3, ε / 3];
    const expected = -targets.reduce((s, t, i) => s + t * logSoftmax[i], 0);
    const value = tf.tidy(() => crossEntropy(tf.tensor2d([logits]), tf.tensor1d([0], 'int32'), 3, false, ε).dataSync()[0]);
    expect(value).toBeCloseTo(expected, 5);
    const probabilities = logSoftmax.map(Math.exp);
    const fromProbabilities = tf.tidy(() => crossEntropy(tf.tensor2d([probabilities]), tf.tensor1d([0], 'int32'), 3, true, ε).dataSync()[0]);
    expect(fromProbabilities).toBeCloseTo(expected, 5);
  });

  it('auxiliary heads add their weighted losses to the main one', () => {
    tf.tidy(() => {
      const labels = tf.tensor1d([1, 0], 'int32');
      const main = tf.tensor2d([[0.2, 1.5], [1, -1]]);
      const aux = tf.tensor2d([[2, -1], [0, 0]]);
      const mainLoss = crossEntropy(main, labels, 2, false).dataSync()[0];
      const auxLoss = crossEntropy(aux, labels, 2, false).dataSync()[0];
      expect(trainingLoss([main, aux], labels, 2, false, [1, 0.3], 0).dataSync()[0]).toBeCloseTo(mainLoss + 0.3 * auxLoss, 5);
      expect(trainingLoss([main, aux], labels, 2, false, [1, 0], 0).dataSync()[0]).toBeCloseTo(mainLoss, 5);
    });
  });
});
