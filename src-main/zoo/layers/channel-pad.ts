/**
 * Zero channels before and after the existing ones: the "option A" shortcut of the ResNet
 * paper (He et al., 2015, §4.2) pads the strided identity with zeros to the new width.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ChannelPadArgs {
  before: number;
  after: number;
  name?: string;
  trainable?: boolean;
}

export class ChannelPad extends tfl.layers.Layer {
  static readonly className = 'ChannelPad';
  readonly before: number;
  readonly after: number;

  constructor(args: ChannelPadArgs) {
    super(args);
    this.before = args.before;
    this.after = args.after;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    return [...shape.slice(0, -1), channels == null ? null : channels + this.before + this.after];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const paddings = x.shape.map((): [number, number] => [0, 0]);
    paddings[paddings.length - 1] = [this.before, this.after];
    return tf.pad(x, paddings);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), before: this.before, after: this.after };
  }
}
tf.serialization.registerClass(ChannelPad);
