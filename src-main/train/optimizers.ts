/** The optimizers a run can choose, built from its config. */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerName } from '../contract';

export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, 0.9);
    case 'adam':
    case 'adamw':
      // AdamW's decoupled weight decay is applied by the loop after the Adam update.
      return tf.train.adam(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, 0.9, 0, 1e-7);
  }
}
