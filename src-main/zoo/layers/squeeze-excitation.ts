/**
 * Squeeze-and-excitation (Hu et al., 2018, "Squeeze-and-Excitation Networks"): global average
 * pool → 1×1 conv C→C/r with bias → activation → 1×1 conv C/r→C with bias → sigmoid → scale
 * the input channels. The reduced width is timm's `make_divisible(C / r, 8)`, so the parameter
 * counts equal timm's `SEModule` (seresnet50: 28,088,024).
 */
import { activation, channelsOf, conv2d, globalAvgPool, multiply, reshape, type Activation, type Tensor } from './graph';

export interface SqueezeExcitationOptions {
  /** r in the paper; 16 by default. */
  reduction: number;
  /** The activation between the two 1×1 convolutions. */
  activation: Activation;
}

/** timm's `make_divisible`: round to the nearest multiple of `divisor`, never below it. */
export function makeDivisible(value: number, divisor = 8): number {
  return Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
}

export function squeezeExcitation<T extends Tensor>(x: T, options: SqueezeExcitationOptions, name: string): T {
  const channels = channelsOf(x);
  const reduced = makeDivisible(channels / options.reduction);
  let s = globalAvgPool(x, `${name}_squeeze`);
  s = reshape(s, [1, 1, channels], `${name}_reshape`);
  s = conv2d(s, { filters: reduced, kernelSize: 1 }, `${name}_reduce`);
  s = activation(s, options.activation, `${name}_${options.activation}`);
  s = conv2d(s, { filters: channels, kernelSize: 1 }, `${name}_expand`);
  s = activation(s, 'sigmoid', `${name}_gate`);
  return multiply([x, s], `${name}_scale`);
}
