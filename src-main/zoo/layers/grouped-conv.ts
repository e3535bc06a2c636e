/**
 * Grouped 2-D convolution (AlexNet's two-GPU split, ResNeXt's cardinality): the input channels
 * are cut into `groups` equal slices, each convolved with its own kernels, and the results
 * concatenated. TF.js `conv2d` has no `groups` argument, so the layer splits and concatenates;
 * its kernel has Keras's grouped shape [kh, kw, in/groups, out] (group g owns output channels
 * g·out/groups … (g+1)·out/groups − 1), so the parameter count equals torchvision's.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export interface GroupedConv2DArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'same' | 'valid';
  groups: number;
  useBias?: boolean;
  /** An initializer, or its serialized form `{className, config}` when loaded from a file. */
  kernelInitializer?: Initializer | tf.serialization.ConfigDict;
  name?: string;
  trainable?: boolean;
}

const pair = (value: number | [number, number]): [number, number] => (typeof value === 'number' ? [value, value] : value);

function toInitializer(value: GroupedConv2DArgs['kernelInitializer']): Initializer {
  if (value == null) return tfl.initializers.glorotUniform({});
  if (value instanceof tf.serialization.Serializable) return value as Initializer;
  const { className, config } = value as { className: string; config: tf.serialization.ConfigDict };
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new Error(`GroupedConv2D: unknown initializer "${className}"`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as Initializer;
}

function outputLength(length: number | null, kernel: number, stride: number, padding: 'same' | 'valid'): number | null {
  if (length == null) return null;
  return padding === 'same' ? Math.ceil(length / stride) : Math.ceil((length - kernel + 1) / stride);
}

export class GroupedConv2D extends tfl.layers.Layer {
  static readonly className = 'GroupedConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly groups: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs) {
    super(args);
    if (!Number.isInteger(args.groups) || args.groups < 1) throw new Error(`GroupedConv2D: groups must be a positive integer, got ${args.groups}`);
    if (args.filters % args.groups !== 0) throw new Error(`GroupedConv2D: filters (${args.filters}) must divide by groups (${args.groups})`);
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.padding = args.padding ?? 'valid';
    this.groups = args.groups;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = toInitializer(args.kernelInitializer);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null || channels % this.groups !== 0) {
      throw new Error(`GroupedConv2D ${this.name}: input channels (${channels}) must divide by groups (${this.groups})`);
    }
    const kernelShape = [...this.kernelSize, channels / this.groups, this.filters];
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [
      shape[0],
      outputLength(shape[1], this.kernelSize[0], this.strides[0], this.padding),
      outputLength(shape[2], this.kernelSize[1], this.strides[1], this.padding),
      this.filters,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const xs = tf.split(x, this.groups, 3);
      const kernels = tf.split(kernel, this.groups, 3);
      const ys = xs.map((slice, g) => tf.conv2d(slice as tf.Tensor4D, kernels[g] as tf.Tensor4D, this.strides, this.padding));
      const y = ys.length === 1 ? ys[0] : tf.concat(ys, 3);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      groups: this.groups,
      useBias: this.useBias,
      kernelInitializer: { className: this.kernelInitializer.getClassName(), config: this.kernelInitializer.getConfig() },
    };
  }
}
tf.serialization.registerClass(GroupedConv2D);
