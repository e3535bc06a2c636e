/**
 * The primitives every block is written with (Keras-style `(x, options) => y`).
 *
 * Each primitive takes a tensor and returns one of the same kind:
 * - a tfjs-layers `SymbolicTensor`: it creates and applies a real layer (weights included);
 * - a `ShapeTensor`: a dry run that only computes the output shape, parameter count,
 *   multiply-adds and receptive field, and records them in a `Trace`.
 *
 * The families are written once against these primitives, so the inspector describes VGG-19
 * without allocating its 143M weights, a too-small input is refused before any weight exists,
 * and a test can check the dry run against the built model layer by layer.
 *
 * Padding follows torchvision's symmetric `padding=P`: P = (K − 1)/2 maps to TF.js 'same'
 * (same output size, O = ceil(I/S)), P = 0 to 'valid', anything else to an explicit
 * `<name>_pad` ZeroPadding2D layer followed by a 'valid' layer.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { InspectedLayer } from '../../contract';
import { ChannelPad } from './channel-pad';
import { GroupedConv2D } from './grouped-conv';
import { LocalResponseNormalization } from './lrn';

/** tfjs-layers exports its initializer class only as a type of the factory functions. */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export type Activation = 'relu' | 'leaky_relu' | 'sigmoid' | 'elu';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'leaky_relu', 'sigmoid', 'elu'];
/** Slope of leaky_relu for negative inputs. */
export const LEAKY_RELU_SLOPE = 0.01;

/** The dry run of one network: its input and every layer in creation order. */
export class Trace {
  readonly layers: InspectedLayer[] = [];
  private readonly names = new Set<string>();

  constructor(
    readonly modelName: string,
    readonly input: [number, number, number],
  ) {}

  record(layer: InspectedLayer): void {
    if (this.names.has(layer.name)) throw new Error(`${this.modelName}: duplicate layer name "${layer.name}"`);
    this.names.add(layer.name);
    this.layers.push(layer);
  }

  /** A tensor for the input image. */
  inputTensor(): ShapeTensor {
    this.record({
      name: 'input', type: 'InputLayer', outputShape: [...this.input], params: 0, trainableParams: 0, macs: 0, receptiveField: 1,
    });
    return new ShapeTensor(this, [...this.input], [1, 1], [1, 1]);
  }
}

/** A tensor of the dry run: its shape (no batch axis) and receptive field bookkeeping. */
export class ShapeTensor {
  constructor(
    readonly trace: Trace,
    readonly shape: number[],
    /** Receptive field [height, width] in input pixels. */
    readonly rf: [number, number],
    /** Distance in input pixels between neighbouring units [height, width]. */
    readonly jump: [number, number],
  ) {}
}

export type Tensor = tfl.SymbolicTensor | ShapeTensor;

/** An input too small for the network: the formula O = (I − K + 2P)/S + 1 fell below 1. */
export class InputTooSmallError extends Error {
  constructor(
    readonly modelName: string,
    readonly input: [number, number, number],
    readonly layer: string,
    readonly formula: { I: number; K: number; P: number; S: number; O: number },
  ) {
    const { I, K, P, S, O } = formula;
    super(
      `input ${input.join('×')} is too small for ${modelName}: at layer "${layer}" ` +
        `O = (I − K + 2P)/S + 1 = (${I} − ${K} + 2·${P})/${S} + 1 = ${O} < 1`,
    );
    this.name = 'InputTooSmallError';
  }
}

type Pair = [number, number];
const pair = (value: number | Pair): Pair => (typeof value === 'number' ? [value, value] : value);
const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const maxRf = (rf: Pair): number => Math.max(rf[0], rf[1]);

function symbolic(layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}

function spatial(x: ShapeTensor, op: string, name: string): [number, number, number] {
  if (x.shape.length !== 3) throw new Error(`${name}: ${op} needs an image tensor, got shape [${x.shape.join(', ')}]`);
  return x.shape as [number, number, number];
}

/** O = floor((I − K + 2P)/S) + 1, refused below 1 with the layer's name. */
function outputSize(x: ShapeTensor, name: string, I: number, K: number, P: number, S: number): number {
  const O = Math.floor((I - K + 2 * P) / S) + 1;
  if (O < 1) throw new InputTooSmallError(x.trace.modelName, x.trace.input, name, { I, K, P, S, O });
  return O;
}

/** A sliding-window layer's output tensor in the dry run (conv or pool). */
function windowed(x: ShapeTensor, name: string, kernel: Pair, padding: Pair, strides: number, channels: number): ShapeTensor {
  const [h, w] = spatial(x, 'a windowed layer', name);
  const outH = outputSize(x, name, h, kernel[0], padding[0], strides);
  const outW = outputSize(x, name, w, kernel[1], padding[1], strides);
  const rf: Pair = [x.rf[0] + (kernel[0] - 1) * x.jump[0], x.rf[1] + (kernel[1] - 1) * x.jump[1]];
  const jump: Pair = [x.jump[0] * strides, x.jump[1] * strides];
  return new ShapeTensor(x.trace, [outH, outW, channels], rf, jump);
}

/** The whole image: what flatten, global pooling and dense layers see. */
function globalRf(x: ShapeTensor): Pair {
  return [Math.max(x.rf[0], x.trace.input[0]), Math.max(x.rf[1], x.trace.input[1])];
}

function record(y: ShapeTensor, name: string, type: string, params = 0, trainableParams = params, macs = 0): ShapeTensor {
  y.trace.record({ name, type, outputShape: [...y.shape], params, trainableParams, macs, receptiveField: maxRf(y.rf) });
  return y;
}

function tfPadding(kernel: Pair, padding: Pair): 'same' | 'valid' | 'explicit' {
  if (padding[0] === 0 && padding[1] === 0) return 'valid';
  if (padding[0] === (kernel[0] - 1) / 2 && padding[1] === (kernel[1] - 1) / 2) return 'same';
  return 'explicit';
}

export function zeroPad<T extends Tensor>(x: T, padding: number | Pair, name: string): T {
  const [ph, pw] = pair(padding);
  if (x instanceof ShapeTensor) {
    const [h, w, c] = spatial(x, 'zero padding', name);
    return record(new ShapeTensor(x.trace, [h + 2 * ph, w + 2 * pw, c], x.rf, x.jump), name, 'ZeroPadding2D') as T;
  }
  return symbolic(tfl.layers.zeroPadding2d({ padding: [[ph, ph], [pw, pw]], name }), x) as T;
}

export interface Conv2dOptions {
  filters: number;
  kernelSize: number | Pair;
  strides?: number;
  /** torchvision-style symmetric zero padding. */
  padding?: number | Pair;
  groups?: number;
  useBias?: boolean;
  /** Default: He normal with fan-out, as torchvision initialises ResNet, VGG and DenseNet. */
  kernelInitializer?: Initializer;
}

const heFanOut = (): Initializer =>
  tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' });

export function conv2d<T extends Tensor>(x: T, options: Conv2dOptions, name: string): T {
  const kernel = pair(options.kernelSize);
  const padding = pair(options.padding ?? 0);
  const strides = options.strides ?? 1;
  const groups = options.groups ?? 1;
  const useBias = options.useBias ?? true;
  const mode = tfPadding(kernel, padding);
  if (x instanceof ShapeTensor) {
    const [, , c] = spatial(x, 'conv2d', name);
    if (c % groups !== 0 || options.filters % groups !== 0) {
      throw new Error(`${name}: ${c} input and ${options.filters} output channels must both divide by groups=${groups}`);
    }
    const y = windowed(x, name, kernel, padding, strides, options.filters);
    if (mode === 'explicit') record(new ShapeTensor(x.trace, [x.shape[0] + 2 * padding[0], x.shape[1] + 2 * padding[1], c], x.rf, x.jump), `${name}_pad`, 'ZeroPadding2D');
    const fanIn = kernel[0] * kernel[1] * (c / groups);
    const params = fanIn * options.filters + (useBias ? options.filters : 0);
    const macs = y.shape[0] * y.shape[1] * options.filters * fanIn;
    return record(y, name, groups > 1 ? 'GroupedConv2D' : 'Conv2D', params, params, macs) as T;
  }
  let input: tfl.SymbolicTensor = x;
  if (mode === 'explicit') input = zeroPad(input, padding, `${name}_pad`);
  const args = {
    filters: options.filters,
    kernelSize: kernel,
    strides,
    padding: mode === 'same' ? ('same' as const) : ('valid' as const),
    useBias,
    kernelInitializer: options.kernelInitializer ?? heFanOut(),
    name,
  };
  const layer = groups > 1 ? new GroupedConv2D({ ...args, groups }) : tfl.layers.conv2d(args);
  return symbolic(layer, input) as T;
}

export interface BatchNormOptions {
  /** torchvision's default; Inception v3 uses 0.001. */
  epsilon?: number;
}

export function batchNorm<T extends Tensor>(x: T, options: BatchNormOptions, name: string): T {
  const epsilon = options.epsilon ?? 1e-5;
  if (x instanceof ShapeTensor) {
    const c = x.shape[x.shape.length - 1];
    return record(new ShapeTensor(x.trace, x.shape, x.rf, x.jump), name, 'BatchNormalization', 4 * c, 2 * c) as T;
  }
  // torchvision's momentum 0.1 is TF's 0.9 (the weight of the old moving average).
  return symbolic(tfl.layers.batchNormalization({ axis: -1, epsilon, momentum: 0.9, name }), x) as T;
}

export function activation<T extends Tensor>(x: T, kind: Activation, name: string): T {
  if (x instanceof ShapeTensor) {
    return record(new ShapeTensor(x.trace, x.shape, x.rf, x.jump), name, kind === 'leaky_relu' ? 'LeakyReLU' : 'Activation') as T;
  }
  const layer = kind === 'leaky_relu'
    ? tfl.layers.leakyReLU({ alpha: LEAKY_RELU_SLOPE, name })
    : tfl.layers.activation({ activation: kind, name });
  return symbolic(layer, x) as T;
}

export interface PoolOptions {
  poolSize: number;
  strides: number;
  /** 0 ('valid') or (poolSize − 1)/2 ('same'). */
  padding?: number;
}

function pool<T extends Tensor>(x: T, options: PoolOptions, name: string, kind: 'max' | 'avg'): T {
  const padding = options.padding ?? 0;
  const kernel: Pair = [options.poolSize, options.poolSize];
  const mode = tfPadding(kernel, [padding, padding]);
  if (mode === 'explicit') throw new Error(`${name}: pool padding must be 0 or (poolSize − 1)/2, got ${padding}`);
  if (x instanceof ShapeTensor) {
    const y = windowed(x, name, kernel, [padding, padding], options.strides, spatial(x, 'pooling', name)[2]);
    return record(y, name, kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D') as T;
  }
  const args = { poolSize: options.poolSize, strides: options.strides, padding: mode as 'same' | 'valid', name };
  return symbolic(kind === 'max' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args), x) as T;
}

export const maxPool = <T extends Tensor>(x: T, options: PoolOptions, name: string): T => pool(x, options, name, 'max');
export const avgPool = <T extends Tensor>(x: T, options: PoolOptions, name: string): T => pool(x, options, name, 'avg');

/**
 * torchvision's AdaptiveAvgPool2d(size) as a fixed average pool: stride ⌊I/size⌋ and window
 * I − (size − 1)·stride, which is exactly torchvision's windows when size divides I, and
 * GoogLeNet's 5×5/3 pool at 14×14. Needs I ≥ size.
 */
export function adaptiveAvgPool<T extends Tensor>(x: T, size: number, name: string): T {
  const [h, w] = shapeOf(x);
  if (h !== w) throw new Error(`${name}: adaptive pooling needs a square feature map, got ${h}×${w}`);
  if (h < size) {
    const model = x instanceof ShapeTensor ? x.trace.modelName : 'this model';
    throw new Error(`${name}: ${model} pools a ${h}×${w} feature map to ${size}×${size} here; use a larger input`);
  }
  const strides = Math.floor(h / size);
  return avgPool(x, { poolSize: h - (size - 1) * strides, strides }, name);
}

export function globalAvgPool<T extends Tensor>(x: T, name: string): T {
  if (x instanceof ShapeTensor) {
    const [, , c] = spatial(x, 'global pooling', name);
    return record(new ShapeTensor(x.trace, [c], globalRf(x), x.jump), name, 'GlobalAveragePooling2D') as T;
  }
  return symbolic(tfl.layers.globalAveragePooling2d({ name }), x) as T;
}

export function flatten<T extends Tensor>(x: T, name: string): T {
  if (x instanceof ShapeTensor) {
    return record(new ShapeTensor(x.trace, [product(x.shape)], globalRf(x), x.jump), name, 'Flatten') as T;
  }
  return symbolic(tfl.layers.flatten({ name }), x) as T;
}

export function reshape<T extends Tensor>(x: T, targetShape: number[], name: string): T {
  if (x instanceof ShapeTensor) {
    if (product(targetShape) !== product(x.shape)) throw new Error(`${name}: cannot reshape [${x.shape}] to [${targetShape}]`);
    return record(new ShapeTensor(x.trace, targetShape, x.rf, x.jump), name, 'Reshape') as T;
  }
  return symbolic(tfl.layers.reshape({ targetShape, name }), x) as T;
}

export interface DenseOptions {
  useBias?: boolean;
  kernelInitializer?: Initializer;
}

export function dense<T extends Tensor>(x: T, units: number, name: string, options: DenseOptions = {}): T {
  const useBias = options.useBias ?? true;
  if (x instanceof ShapeTensor) {
    if (x.shape.length !== 1) throw new Error(`${name}: dense needs a flat tensor, got shape [${x.shape.join(', ')}]`);
    const params = x.shape[0] * units + (useBias ? units : 0);
    return record(new ShapeTensor(x.trace, [units], globalRf(x), x.jump), name, 'Dense', params, params, x.shape[0] * units) as T;
  }
  return symbolic(tfl.layers.dense({ units, useBias, name, ...(options.kernelInitializer ? { kernelInitializer: options.kernelInitializer } : {}) }), x) as T;
}

/** No layer at all when the rate is 0, so switching dropout off leaves no trace. */
export function dropout<T extends Tensor>(x: T, rate: number, name: string): T {
  if (rate <= 0) return x;
  if (x instanceof ShapeTensor) return record(new ShapeTensor(x.trace, x.shape, x.rf, x.jump), name, 'Dropout') as T;
  return symbolic(tfl.layers.dropout({ rate, name }), x) as T;
}

function merged(xs: ShapeTensor[], shape: number[]): ShapeTensor {
  const rf: Pair = [Math.max(...xs.map((t) => t.rf[0])), Math.max(...xs.map((t) => t.rf[1]))];
  const jump: Pair = [Math.max(...xs.map((t) => t.jump[0])), Math.max(...xs.map((t) => t.jump[1]))];
  return new ShapeTensor(xs[0].trace, shape, rf, jump);
}

export function concat<T extends Tensor>(xs: T[], name: string): T {
  if (xs[0] instanceof ShapeTensor) {
    const shapes = (xs as ShapeTensor[]).map((t) => spatial(t, 'concatenation', name));
    if (shapes.some(([h, w]) => h !== shapes[0][0] || w !== shapes[0][1])) {
      throw new Error(`${name}: cannot concatenate feature maps of different sizes ${shapes.map((s) => s.join('×')).join(', ')}`);
    }
    const channels = shapes.reduce((sum, s) => sum + s[2], 0);
    return record(merged(xs as ShapeTensor[], [shapes[0][0], shapes[0][1], channels]), name, 'Concatenate') as T;
  }
  return symbolic(tfl.layers.concatenate({ axis: -1, name }), xs as tfl.SymbolicTensor[]) as T;
}

function elementwise<T extends Tensor>(xs: T[], name: string, kind: 'add' | 'multiply'): T {
  if (xs[0] instanceof ShapeTensor) {
    const shapes = (xs as ShapeTensor[]).map((t) => t.shape);
    const rank = shapes[0].length;
    const shape = shapes[0].map((_, axis) => Math.max(...shapes.map((s) => s[axis])));
    if (shapes.some((s) => s.length !== rank || s.some((d, axis) => d !== 1 && d !== shape[axis]))) {
      throw new Error(`${name}: cannot ${kind} shapes ${shapes.map((s) => `[${s}]`).join(', ')}`);
    }
    return record(merged(xs as ShapeTensor[], shape), name, kind === 'add' ? 'Add' : 'Multiply') as T;
  }
  const layer = kind === 'add' ? tfl.layers.add({ name }) : tfl.layers.multiply({ name });
  return symbolic(layer, xs as tfl.SymbolicTensor[]) as T;
}

export const add = <T extends Tensor>(xs: T[], name: string): T => elementwise(xs, name, 'add');
/** Elementwise product; a [1, 1, C] tensor broadcasts over an [H, W, C] one. */
export const multiply = <T extends Tensor>(xs: T[], name: string): T => elementwise(xs, name, 'multiply');

/** Zero channels before and after (ResNet option A shortcuts). */
export function channelPad<T extends Tensor>(x: T, before: number, after: number, name: string): T {
  if (x instanceof ShapeTensor) {
    const [h, w, c] = spatial(x, 'channel padding', name);
    return record(new ShapeTensor(x.trace, [h, w, c + before + after], x.rf, x.jump), name, 'ChannelPad') as T;
  }
  return symbolic(new ChannelPad({ before, after, name }), x) as T;
}

export interface LrnOptions {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

export function lrn<T extends Tensor>(x: T, options: LrnOptions, name: string): T {
  if (x instanceof ShapeTensor) return record(new ShapeTensor(x.trace, x.shape, x.rf, x.jump), name, 'LocalResponseNormalization') as T;
  return symbolic(new LocalResponseNormalization({ ...options, name }), x) as T;
}

/** Per-image shape of either kind of tensor (no batch axis). */
export function shapeOf(x: Tensor): number[] {
  return x instanceof ShapeTensor ? x.shape : (x.shape.slice(1) as number[]);
}

/** Channels of an image tensor. */
export const channelsOf = (x: Tensor): number => {
  const shape = shapeOf(x);
  return shape[shape.length - 1];
};
