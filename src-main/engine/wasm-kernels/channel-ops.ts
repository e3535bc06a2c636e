/**
 * Per-channel reductions and affine maps on XNNPACK, for tensors read as [rows, C] (channels last).
 *
 * The stock wasm reductions over leading axes (Sum/Mean over N, H, W of an NHWC activation) first
 * transpose the whole tensor so that the reduced axes come last (1.4 ms for 64×32×32×16); XNNPACK's
 * average pooling reduces rows directly (about 0.1 ms). A per-channel x·a[c] + b[c] is a 1×1
 * depthwise convolution with a bias, which XNNPACK runs as a SIMD multiply-add (0.2 ms against
 * 3.4 ms for the stock FusedBatchNorm kernel and 0.8 ms for a broadcasting Multiply).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { f32, free, runWasmKernel, type WasmBackend } from './heap';

/** Rows averaged by the first pooling stage: a few hundred keeps both stages short and accurate. */
function firstStageRows(rows: number): number {
  if (rows <= 1024) return rows;
  let best = 1;
  for (let d = 1; d * d <= rows; d++) if (rows % d === 0) best = d;
  // best ≤ √rows is the largest divisor not above it; its cofactor is the second stage.
  return best === 1 ? rows : best;
}

function pool(backend: WasmBackend, x: tf.TensorInfo, groups: number, window: number, channels: number): tf.TensorInfo {
  return runWasmKernel('AvgPool', backend, { x: { dataId: x.dataId, dtype: 'float32', shape: [groups, window, 1, channels] } }, {
    filterSize: [window, 1],
    strides: [1, 1],
    pad: 'valid',
    dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap);
}

/**
 * Mean over the rows of float32 `x` read as [rows, channels], as a new [channels] tensor. Two
 * pooling stages (rows = a·b) so that neither sums more than about √rows values in float32.
 */
export function channelMean(backend: WasmBackend, x: tf.TensorInfo, rows: number, channels: number): tf.TensorInfo {
  const inner = firstStageRows(rows);
  const outer = rows / inner;
  const first = pool(backend, x, outer, inner, channels); // [outer, 1, 1, C]
  if (outer === 1) return { dataId: first.dataId, dtype: 'float32', shape: [channels] };
  try {
    const second = pool(backend, { dataId: first.dataId, dtype: 'float32', shape: [1, outer, 1, channels] }, 1, outer, channels);
    return { dataId: second.dataId, dtype: 'float32', shape: [channels] };
  } finally {
    free(backend, first);
  }
}

/** A new [channels] float32 tensor holding `values`. */
export function channelVector(backend: WasmBackend, values: Float32Array): tf.TensorInfo {
  return backend.makeOutput([values.length], 'float32', undefined, values);
}

/**
 * x·scale[c] (+ shift[c]) for float32 `x` whose last axis has `scale.length` channels, with the shape
 * of x. A 1×1 depthwise convolution on XNNPACK; `scale` and `shift` are copied to the heap.
 */
export function channelAffine(backend: WasmBackend, x: tf.TensorInfo, scale: Float32Array, shift: Float32Array | null): tf.TensorInfo {
  const channels = scale.length;
  const rows = x.shape.reduce((product, size) => product * size, 1) / channels;
  const filter = backend.makeOutput([1, 1, channels, 1], 'float32', undefined, scale);
  const bias = shift == null ? null : channelVector(backend, shift);
  try {
    const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
    const input = { dataId: x.dataId, dtype: 'float32' as const, shape: [1, 1, rows, channels] };
    const out =
      bias == null
        ? runWasmKernel('DepthwiseConv2dNative', backend, { x: input, filter }, attrs as unknown as tf.NamedAttrMap)
        : runWasmKernel('FusedDepthwiseConv2D', backend, { x: input, filter, bias }, { ...attrs, activation: 'linear' } as unknown as tf.NamedAttrMap);
    return { dataId: out.dataId, dtype: 'float32', shape: x.shape.slice() };
  } finally {
    free(backend, filter, ...(bias == null ? [] : [bias]));
  }
}

/** The values of a small float32 tensor, copied out of the heap. */
export function readVector(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  return f32(backend, info).slice();
}
