/**
 * Local response normalisation across channels (Krizhevsky et al., 2012, §3.3):
 * b = a / (k + α Σ a²)^β over the 2·depthRadius + 1 neighbouring channels. The paper's values
 * are k = 2, n = 5 (depthRadius 2), α = 1e-4, β = 0.75; α multiplies the sum as in the paper
 * (PyTorch's nn.LocalResponseNorm divides α by n first).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface LrnArgs {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
  name?: string;
  trainable?: boolean;
}

/** The paper's constants. */
export const ALEXNET_LRN = { depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 } as const;

export class LocalResponseNormalization extends tfl.layers.Layer {
  static readonly className = 'LocalResponseNormalization';
  readonly depthRadius: number;
  readonly bias: number;
  readonly alpha: number;
  readonly beta: number;

  constructor(args: LrnArgs) {
    super(args);
    this.depthRadius = args.depthRadius;
    this.bias = args.bias;
    this.alpha = args.alpha;
    this.beta = args.beta;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.localResponseNormalization(x, this.depthRadius, this.bias, this.alpha, this.beta);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthRadius: this.depthRadius, bias: this.bias, alpha: this.alpha, beta: this.beta };
  }
}
tf.serialization.registerClass(LocalResponseNormalization);
