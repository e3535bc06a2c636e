/**
 * Small helpers for kernels that run on the wasm backend: call the backend's own kernels directly
 * (no engine bookkeeping, no tape) and free their intermediate outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;

/**
 * Runs a kernel registered for 'wasm' on `backend`. Kernels called this way skip the engine: their
 * outputs are backend-owned TensorInfos that the caller must return or free with {@link free}.
 */
export function runWasmKernel(
  kernelName: string,
  backend: WasmBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel == null) throw new Error(`the wasm backend has no '${kernelName}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** Releases backend-owned intermediates. */
export function free(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A float32 view on a tensor's wasm memory. Take views only after the last allocation: growth detaches them. */
export function f32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function transpose(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Forward 2-D convolution (NHWC, HWIO filter) on the backend's XNNPACK kernel with explicit padding
 * that may be negative: a negative pad crops the input instead, so callers can express any window.
 */
export function conv2dPadded(
  backend: WasmBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pad: Padding,
): tf.TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const crop = {
    top: Math.max(0, -pad.top),
    bottom: Math.max(0, -pad.bottom),
    left: Math.max(0, -pad.left),
    right: Math.max(0, -pad.right),
  };
  const cropped = crop.top + crop.bottom + crop.left + crop.right > 0;
  const input = cropped
    ? runWasmKernel('Slice', backend, { x }, {
        begin: [0, crop.top, crop.left, 0],
        size: [batch, height - crop.top - crop.bottom, width - crop.left - crop.right, channels],
      })
    : x;
  try {
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [Math.max(0, pad.top), Math.max(0, pad.bottom)],
      [Math.max(0, pad.left), Math.max(0, pad.right)],
      [0, 0],
    ];
    return runWasmKernel('Conv2D', backend, { x: input, filter }, {
      strides,
      pad: explicit,
      dataFormat: 'NHWC',
      dilations,
      dimRoundingMode: undefined,
    } as unknown as tf.NamedAttrMap);
  } finally {
    if (cropped) free(backend, input);
  }
}
