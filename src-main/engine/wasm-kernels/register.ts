/**
 * Registers the project's gradient kernels for the wasm backend. Stock tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter, no depthwise gradients and no UnsortedSegmentSum, its
 * Conv2DBackpropInput is a scalar loop about ten times slower than its XNNPACK forward convolution,
 * and its BatchMatMul runs a scalar loop whenever an operand is transposed (every Dense gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMul, setStockBatchMatMul } from './batch-matmul';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-grad';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise-grad';
import { unsortedSegmentSum } from './segment-sum';
import { setStockTile, tile } from './tile';
import { FUSED_BATCH_NORM_GRAD, fusedBatchNorm, fusedBatchNormGrad, setStockFusedBatchNorm } from './batch-norm';
import { registerWasmGradientConfigs } from './gradients';
import { guardWasmHeap } from './heap-guard';
import { cast, identity, setStockIdentityAndCast } from './identity';
import { mean, setStockReductions, sum } from './reduce';

/** Kernel name → what the project registers for it on 'wasm'. */
export const WASM_GRADIENT_KERNELS: Record<string, { kernelFunc: unknown; replaces: boolean; how: string }> = {
  Conv2DBackpropFilter: {
    kernelFunc: conv2DBackpropFilter,
    replaces: false,
    how: 'XNNPACK Conv2D of the batch-transposed input with the transposed output gradient, dilation = stride',
  },
  Conv2DBackpropInput: {
    kernelFunc: conv2DBackpropInput,
    replaces: true,
    how: 'XNNPACK Conv2D of the output gradient with the flipped, transposed filter; strides > 1 by phase decomposition',
  },
  DepthwiseConv2dNativeBackpropFilter: {
    kernelFunc: depthwiseConv2dNativeBackpropFilter,
    replaces: false,
    how: 'typed-array loop on the wasm heap',
  },
  DepthwiseConv2dNativeBackpropInput: {
    kernelFunc: depthwiseConv2dNativeBackpropInput,
    replaces: false,
    how: 'typed-array loop on the wasm heap',
  },
  UnsortedSegmentSum: { kernelFunc: unsortedSegmentSum, replaces: false, how: 'typed-array loop on the wasm heap' },
  BatchMatMul: {
    kernelFunc: batchMatMul,
    replaces: true,
    how:
      'untransposed XNNPACK fully-connected products through the stock kernel: an operand is transposed ' +
      'first, or the product is computed as (op(B)ᵀ·op(A)ᵀ)ᵀ, whichever moves fewer elements; batches folded or looped',
  },
  Tile: {
    kernelFunc: tile,
    replaces: true,
    how: 'block copies on the wasm heap (copyWithin, doubling) instead of an index computation per element',
  },
  Identity: {
    kernelFunc: identity,
    replaces: true,
    how: 'shares the data and counts a reference instead of copying (as the cpu backend does)',
  },
  Cast: {
    kernelFunc: cast,
    replaces: true,
    how: 'a cast to the same dtype shares the data; other casts run the stock kernel',
  },
  FusedBatchNorm: {
    kernelFunc: fusedBatchNorm,
    replaces: true,
    how: 'per-channel parameters folded into y = x·a[c] + b[c], run as an XNNPACK 1×1 depthwise convolution with bias',
  },
  Sum: {
    kernelFunc: sum,
    replaces: true,
    how: 'over leading axes (N, H, W): XNNPACK average pooling of the rows instead of a transpose and a reduction',
  },
  Mean: {
    kernelFunc: mean,
    replaces: true,
    how: 'over leading axes (N, H, W): XNNPACK average pooling of the rows instead of a transpose and a reduction',
  },
  [FUSED_BATCH_NORM_GRAD]: {
    kernelFunc: fusedBatchNormGrad,
    replaces: false,
    how: "all five FusedBatchNorm gradients from two XNNPACK per-channel means, a product and a 1×1 depthwise convolution (used by the project's FusedBatchNorm gradient on wasm)",
  },
};

/** The stock kernels the project replaces, kept for benchmarks and for the project kernels built on them. */
const stockKernels = new Map<string, tf.KernelConfig>();
let registered = false;

/**
 * Registers the project's wasm gradient kernels (idempotent). Call before or after the wasm backend
 * is initialised: the engine looks kernels up on every call, these kernels need no setup and the
 * stock kernels they build on are set up on first use.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (tf.getKernel('BatchMatMul', 'wasm') == null) {
    throw new Error("tfjs-backend-wasm has no 'BatchMatMul' kernel for the project's BatchMatMul to build on");
  }
  for (const [kernelName, { kernelFunc }] of Object.entries(WASM_GRADIENT_KERNELS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing != null) {
      stockKernels.set(kernelName, existing);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    // The engine runs setup functions when the backend starts: Identity's installs the heap guard.
    const setupFunc = kernelName === 'Identity' ? guardWasmHeap : undefined;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc, setupFunc });
  }
  // Registered after the backend started: guard the running instance now.
  const running = tf.engine().registry.wasm;
  if (running != null) guardWasmHeap(running);
  setStockBatchMatMul(stockWasmKernel('BatchMatMul') as tf.KernelFunc);
  setStockTile(stockWasmKernel('Tile') as tf.KernelFunc);
  setStockIdentityAndCast(stockWasmKernel('Identity') as tf.KernelFunc, stockWasmKernel('Cast') as tf.KernelFunc);
  setStockFusedBatchNorm(stockWasmKernel('FusedBatchNorm') as tf.KernelFunc);
  setStockReductions(stockWasmKernel('Sum') as tf.KernelFunc, stockWasmKernel('Mean') as tf.KernelFunc);
  registerWasmGradientConfigs();
  registered = true;
}

const stockSetUp = new Map<string, WeakSet<object>>();

/**
 * A stock tfjs-backend-wasm kernel that the project replaced, callable directly on the backend.
 * Null before registration or for a kernel the project does not replace.
 */
export function stockWasmKernel(kernelName: string): tf.KernelFunc | null {
  const stock = stockKernels.get(kernelName);
  if (stock == null) return null;
  let setUp = stockSetUp.get(kernelName);
  if (setUp == null) stockSetUp.set(kernelName, (setUp = new WeakSet<object>()));
  const backends = setUp;
  return (args) => {
    // Once unregistered, the engine no longer runs the kernel's setup when the backend starts.
    if (stock.setupFunc && !backends.has(args.backend)) {
      stock.setupFunc(args.backend);
      backends.add(args.backend);
    }
    return stock.kernelFunc(args);
  };
}

/** The stock tfjs-backend-wasm Conv2DBackpropInput, kept for benchmarks. Null before registration. */
export function stockWasmConv2DBackpropInput(): tf.KernelFunc | null {
  return stockWasmKernel('Conv2DBackpropInput');
}

/** The stock tfjs-backend-wasm BatchMatMul, kept for benchmarks. Null before registration. */
export function stockWasmBatchMatMul(): tf.KernelFunc | null {
  return stockWasmKernel('BatchMatMul');
}
