/**
 * Convolution → batch norm → activation, the unit every family after VGG is made of
 * (torchvision `Conv2dNormActivation`, Inception's `BasicConv2d`). Layers are named
 * `<name>_conv`, `<name>_bn` and `<name>_<activation>` (`conv1_relu`).
 */
import { activation, batchNorm, conv2d, type Activation, type Conv2dOptions, type Tensor } from './graph';

export interface ConvBnActOptions extends Conv2dOptions {
  batchNorm: boolean;
  /** null: no activation (the last convolution of a residual branch). */
  activation: Activation | null;
  bnEpsilon?: number;
}

/** Without batch norm the convolution gets a bias unless `useBias` says otherwise. */
export function convBnAct<T extends Tensor>(x: T, options: ConvBnActOptions, name: string): T {
  let y = conv2d(x, { ...options, useBias: options.useBias ?? !options.batchNorm }, `${name}_conv`);
  if (options.batchNorm) y = batchNorm(y, { epsilon: options.bnEpsilon }, `${name}_bn`);
  if (options.activation) y = activation(y, options.activation, `${name}_${options.activation}`);
  return y;
}
