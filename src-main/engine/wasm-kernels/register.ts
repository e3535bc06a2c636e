/**
 * Registers the project's gradient kernels for the wasm backend. Stock tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter, no depthwise gradients and no UnsortedSegmentSum, and its
 * Conv2DBackpropInput is a scalar loop about ten times slower than its XNNPACK forward convolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-grad';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise-grad';
import { unsortedSegmentSum } from './segment-sum';

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
};

let stockInputGradient: tf.KernelConfig | null = null;
let registered = false;

/**
 * Registers the project's wasm gradient kernels (idempotent). Call before or after the wasm backend
 * is initialised: the engine looks kernels up on every call and these kernels need no setup.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  for (const [kernelName, { kernelFunc }] of Object.entries(WASM_GRADIENT_KERNELS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing != null) {
      if (kernelName === 'Conv2DBackpropInput') stockInputGradient = existing;
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
  }
  registered = true;
}

const stockSetUp = new WeakSet<object>();

/** The stock tfjs-backend-wasm Conv2DBackpropInput, kept for benchmarks. Null before registration. */
export function stockWasmConv2DBackpropInput(): tf.KernelFunc | null {
  const stock = stockInputGradient;
  if (stock == null) return null;
  return (args) => {
    // Once unregistered, the engine no longer runs the kernel's setup when the backend starts.
    if (stock.setupFunc && !stockSetUp.has(args.backend)) {
      stock.setupFunc(args.backend);
      stockSetUp.add(args.backend);
    }
    return stock.kernelFunc(args);
  };
}
