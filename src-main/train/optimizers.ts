/**
 * The optimizers a run can choose, built from its config, and how weight decay applies to them.
 *
 * Weight decay follows PyTorch: for sgd, momentum, adam and rmsprop it is L2, added to the gradient
 * (g ← g + wd·w) after clipping and before the optimizer's update; for adamw it is decoupled
 * (w ← w − lr·wd·w after the Adam update, Loshchilov & Hutter 2019). Either way it skips biases and
 * batch-norm parameters (every variable of rank below 2) unless `decayNormAndBias` is set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { momentumOf, type TrainConfig } from '../contract';

type OptimizerConfig = Pick<TrainConfig, 'optimizer' | 'learningRate' | 'momentum' | 'nesterov' | 'epsilon' | 'weightDecay'>;

/** TF.js's defaults for epsilon (adam 1e-7 in Keras); PyTorch uses 1e-8, which float32 also holds. */
const DEFAULT_EPSILON = 1e-8;

export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  const lr = config.learningRate;
  const epsilon = config.epsilon ?? DEFAULT_EPSILON;
  switch (config.optimizer) {
    case 'sgd':
    case 'momentum': {
      const momentum = momentumOf(config);
      return momentum > 0 ? tf.train.momentum(lr, momentum, config.nesterov) : tf.train.sgd(lr);
    }
    case 'adam':
    case 'adamw':
      return tf.train.adam(lr, 0.9, 0.999, epsilon);
    case 'rmsprop':
      // PyTorch's RMSprop: alpha (decay) 0.99; TF/Keras use 0.9, as do the papers that used it (Inception v3).
      return tf.train.rmsprop(lr, 0.9, momentumOf(config), epsilon);
  }
}

/** Sets the rate of the next update; cheap enough to call every step. */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const withSetter = optimizer as tf.Optimizer & { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (withSetter.learningRate === learningRate) return;
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(learningRate);
  else withSetter.learningRate = learningRate;
}

export interface WeightDecay {
  /** L2 coefficient added to the gradient (0 when none or decoupled). */
  l2: number;
  /** Decoupled coefficient (adamw), applied as w ← w·(1 − lr·wd). */
  decoupled: number;
}

export function weightDecayOf(config: Pick<TrainConfig, 'optimizer' | 'weightDecay'>): WeightDecay {
  const decoupled = config.optimizer === 'adamw';
  const amount = config.weightDecay ?? (decoupled ? 1e-2 : 0);
  return decoupled ? { l2: 0, decoupled: amount } : { l2: amount, decoupled: 0 };
}

/** Kernels (rank ≥ 2) are decayed; biases and batch-norm γ/β (rank 1) are not, unless asked. */
export function isDecayed(variable: tf.Variable, decayNormAndBias: boolean): boolean {
  return decayNormAndBias || variable.rank >= 2;
}
