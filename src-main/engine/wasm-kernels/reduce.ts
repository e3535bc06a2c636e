/**
 * Sum and Mean over leading axes (N, H, W of an NHWC tensor: BatchNorm statistics, bias and
 * broadcast gradients) on XNNPACK's average pooling, see channel-ops.ts. The stock wasm kernels
 * transpose the whole input first so that the reduced axes come last. Other reductions, and
 * non-float32 inputs, run the stock kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { channelMean } from './channel-ops';
import { f32, type WasmBackend } from './heap';

/** Smaller inputs go to the stock kernel: pooling setup would cost more than it saves. */
const MIN_ELEMENTS = 4096;

const stock = new Map<string, tf.KernelFunc>();

export function setStockReductions(sumFunc: tf.KernelFunc, meanFunc: tf.KernelFunc): void {
  stock.set('Sum', sumFunc);
  stock.set('Mean', meanFunc);
}

interface ReduceArgs {
  inputs: { x: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { axis: number | number[]; keepDims: boolean };
}

/** Number of leading axes reduced when `axis` is exactly 0…k−1 with at least one axis kept; else 0. */
export function leadingAxes(shape: number[], axis: number | number[]): number {
  const axes = [...tf.util.parseAxisParam(axis, shape)].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

function reduce(kernelName: 'Sum' | 'Mean', args: ReduceArgs): tf.TensorInfo {
  const { backend } = args;
  const { x } = args.inputs;
  const reduced = x.dtype === 'float32' ? leadingAxes(x.shape, args.attrs.axis) : 0;
  const size = tf.util.sizeFromShape(x.shape);
  if (reduced === 0 || size < MIN_ELEMENTS) {
    const kernelFunc = stock.get(kernelName);
    if (kernelFunc == null) throw new Error(`the stock wasm ${kernelName} kernel was not found at registration`);
    return kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const rows = tf.util.sizeFromShape(x.shape.slice(0, reduced));
  const channels = size / rows;
  const mean = channelMean(backend, x, rows, channels);
  if (kernelName === 'Sum') {
    const values = f32(backend, mean);
    for (let c = 0; c < channels; c++) values[c] *= rows;
  }
  const shape = args.attrs.keepDims ? x.shape.map((s, i) => (i < reduced ? 1 : s)) : x.shape.slice(reduced);
  return { dataId: mean.dataId, dtype: 'float32', shape };
}

export function sum(args: ReduceArgs): tf.TensorInfo {
  return reduce('Sum', args);
}

export function mean(args: ReduceArgs): tf.TensorInfo {
  return reduce('Mean', args);
}
