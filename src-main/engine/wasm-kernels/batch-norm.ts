/**
 * Batch normalisation on the wasm backend, forward and backward, for per-channel parameters (the
 * only form tfjs-layers' BatchNormalization and tf.batchNorm produce for NHWC activations), on
 * XNNPACK through channel-ops.ts.
 *
 * Forward: the stock kernel looks up each parameter with a modulo per element (3.4 ms for a
 * 64×32×32×16 activation); this one folds them into y = x·a[c] + b[c] and runs that as a 1×1
 * depthwise convolution with a bias (0.2 ms).
 *
 * Backward: TF.js composes the FusedBatchNorm gradient from 14 tensor ops, four of them sums over
 * N·H·W (each a full transpose plus a reduction on wasm) and a Tile; on resnet20 that was the
 * largest cost of a training step after the convolutions. {@link fusedBatchNormGrad} computes all
 * five gradients with two per-channel means, one product and two per-channel affine maps:
 *   k[c] = γ[c]·rsqrt(σ²[c] + ε)
 *   dx = dy·k[c]                      dβ = Σ dy
 *   dγ = rsqrt(σ²+ε)·Σ dy·(x − μ)     dμ = −k·Σ dy      dσ² = −½·k/(σ²+ε)·Σ dy·(x − μ)
 * (the same values as TF.js's composition, which the engine then propagates through μ and σ² to
 * the moments that produced them).
 */
import * as tf from '@tensorflow/tfjs-core';
import { channelAffine, channelMean, readVector } from './channel-ops';
import { f32, free, runWasmKernel, type WasmBackend } from './heap';

/** Name of the project's kernel behind the wasm FusedBatchNorm gradient (see gradients.ts). */
export const FUSED_BATCH_NORM_GRAD = 'CvbFusedBatchNormGrad';

let stockForward: tf.KernelFunc | null = null;

export function setStockFusedBatchNorm(kernelFunc: tf.KernelFunc): void {
  stockForward = kernelFunc;
}

/** Channels when every given parameter is a float32 vector of the input's last dimension; else null. */
export function perChannel(x: tf.TensorInfo, params: (tf.TensorInfo | null | undefined)[]): number | null {
  if (x.dtype !== 'float32' || x.shape.length === 0) return null;
  const channels = x.shape[x.shape.length - 1];
  for (const p of params) {
    if (p == null) continue;
    if (p.dtype !== 'float32' || p.shape.length !== 1 || p.shape[0] !== channels) return null;
  }
  return channels;
}

interface ForwardArgs {
  inputs: { x: tf.TensorInfo; mean: tf.TensorInfo; variance: tf.TensorInfo; offset?: tf.TensorInfo; scale?: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { varianceEpsilon: number };
}

export function fusedBatchNorm(args: ForwardArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, mean, variance, offset, scale } = args.inputs;
  const epsilon = args.attrs.varianceEpsilon;
  const channels = perChannel(x, [mean, variance, offset, scale]);
  if (channels == null || channels === 0 || tf.util.sizeFromShape(x.shape) === 0) {
    if (stockForward == null) throw new Error('the stock wasm FusedBatchNorm kernel was not found at registration');
    return stockForward(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const mu = f32(backend, mean);
  const s2 = f32(backend, variance);
  const beta = offset == null ? null : f32(backend, offset);
  const gamma = scale == null ? null : f32(backend, scale);
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const k = (gamma == null ? 1 : gamma[c]) / Math.sqrt(s2[c] + epsilon);
    a[c] = k;
    b[c] = (beta == null ? 0 : beta[c]) - mu[c] * k;
  }
  return channelAffine(backend, x, a, b);
}

interface GradArgs {
  inputs: { x: tf.TensorInfo; mean: tf.TensorInfo; variance: tf.TensorInfo; scale?: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmBackend;
  attrs: { varianceEpsilon: number };
}

/** Outputs dx (x's shape) and dμ, dσ², dγ, dβ (each [C]). */
export function fusedBatchNormGrad(args: GradArgs): tf.TensorInfo[] {
  const { backend } = args;
  const { x, mean, variance, scale, dy } = args.inputs;
  const epsilon = args.attrs.varianceEpsilon;
  const channels = perChannel(x, [mean, variance, scale]);
  if (channels == null || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(`${FUSED_BATCH_NORM_GRAD}: needs float32 x and dy of one shape and per-channel parameters`);
  }
  const size = tf.util.sizeFromShape(x.shape);
  const rows = channels === 0 ? 0 : size / channels;
  const mu = readVector(backend, mean);
  const s2 = readVector(backend, variance);
  const gamma = scale == null ? null : readVector(backend, scale);
  const rstd = new Float64Array(channels);
  const k = new Float32Array(channels);
  const minusMean = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    rstd[c] = 1 / Math.sqrt(s2[c] + epsilon);
    k[c] = (gamma == null ? 1 : gamma[c]) * rstd[c];
    minusMean[c] = -mu[c];
  }
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  let dx: tf.TensorInfo;
  if (rows > 0) {
    const meanDy = channelMean(backend, dy, rows, channels);
    const centred = channelAffine(backend, x, new Float32Array(channels).fill(1), minusMean);
    const product = runWasmKernel('Multiply', backend, { a: dy, b: centred });
    free(backend, centred);
    const meanProduct = channelMean(backend, product, rows, channels);
    free(backend, product);
    const a = readVector(backend, meanDy);
    const b = readVector(backend, meanProduct);
    free(backend, meanDy, meanProduct);
    for (let c = 0; c < channels; c++) {
      sumDy[c] = a[c] * rows;
      sumDyXc[c] = b[c] * rows;
    }
    dx = channelAffine(backend, dy, k, null);
  } else {
    dx = backend.makeOutput(x.shape, 'float32');
  }
  const outs = [0, 1, 2, 3].map(() => backend.makeOutput([channels], 'float32'));
  const [dMean, dVariance, dScale, dOffset] = outs.map((info) => f32(backend, info));
  for (let c = 0; c < channels; c++) {
    const kc = (gamma == null ? 1 : gamma[c]) * rstd[c];
    dMean[c] = -kc * sumDy[c];
    dVariance[c] = -0.5 * kc * rstd[c] * rstd[c] * sumDyXc[c];
    dScale[c] = rstd[c] * sumDyXc[c];
    dOffset[c] = sumDy[c];
  }
  return [dx, ...outs];
}
