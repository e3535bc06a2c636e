/**
 * Gradient configs the project registers in place of TF.js's for the wasm backend. Gradient
 * configs are global (one per kernel name, for every backend), so each of these delegates to the
 * TF.js config it replaces unless the active backend is wasm and the case is one it handles.
 *
 *   FusedBatchNorm  one pass of the project's CvbFusedBatchNormGrad kernel instead of 14 ops
 *                   (four N·H·W sums and a Tile among them)
 *   Mean, Sum       dy broadcast back with one Tile instead of a multiply by a freshly allocated
 *                   tensor of ones the size of x (allocated in JavaScript and copied to the heap)
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_BATCH_NORM_GRAD } from './batch-norm';

const replaced = new Map<string, tf.GradConfig>();

function onWasm(): boolean {
  return tf.getBackend() === 'wasm';
}

function isChannelVector(t: tf.Tensor | undefined, channels: number): boolean {
  return t == null || (t.dtype === 'float32' && t.rank === 1 && t.shape[0] === channels);
}

function fusedBatchNormGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: original.inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      const channels = x.rank > 0 ? x.shape[x.rank - 1] : -1;
      const handled =
        onWasm() &&
        x.dtype === 'float32' &&
        gradient.dtype === 'float32' &&
        [mean, variance].every((t) => t != null && isChannelVector(t, channels)) &&
        isChannelVector(scale, channels);
      if (!handled) return original.gradFunc(dy, saved, attrs);
      const inputs: tf.NamedTensorMap = { x, mean, variance, dy: gradient };
      if (scale != null) inputs.scale = scale;
      const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(
        FUSED_BATCH_NORM_GRAD, inputs, { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon },
      ) as tf.Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVariance, scale: () => dScale, offset: () => dOffset };
    },
  };
}

/** Gradient of a reduction whose gradient is dy·factor broadcast back over the reduced axes. */
function broadcastBackConfig(original: tf.GradConfig, mean: boolean): tf.GradConfig {
  return {
    kernelName: original.kernelName,
    inputsToSave: original.inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      if (!onWasm() || gradient.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const expanded = x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
      const reps = x.shape.map((size, i) => (axes.includes(i) ? size : 1));
      const reduceSize = axes.reduce((product, axis) => product * x.shape[axis], 1);
      return {
        x: () => {
          const scaled = mean ? tf.div(gradient, reduceSize) : gradient;
          return tf.tile(tf.reshape(scaled, expanded), reps);
        },
      };
    },
  };
}

/** Registers the project's gradient configs (idempotent). Needs TF.js's own configs registered first. */
export function registerWasmGradientConfigs(): void {
  if (replaced.size > 0) return;
  const builders: Record<string, (original: tf.GradConfig) => tf.GradConfig> = {
    FusedBatchNorm: fusedBatchNormGradConfig,
    Mean: (original) => broadcastBackConfig(original, true),
    Sum: (original) => broadcastBackConfig(original, false),
  };
  for (const [kernelName, build] of Object.entries(builders)) {
    const original = tf.getGradient(kernelName);
    if (original == null) throw new Error(`TF.js has no gradient for '${kernelName}' for the project's to build on`);
    replaced.set(kernelName, original);
    tf.registerGradient(build(original));
  }
}

/** TF.js's own gradient config that the project replaced, for tests and benchmarks. */
export function originalGradConfig(kernelName: string): tf.GradConfig | undefined {
  return replaced.get(kernelName);
}
