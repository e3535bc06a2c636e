/**
 * Gradients of DepthwiseConv2dNative for the wasm backend, as typed-array loops over the wasm heap.
 * A depthwise layer does K·K multiplies per output value, so these stay cheap next to the dense
 * convolutions around them; the loops run along the contiguous channel axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import { f32, type WasmBackend } from './heap';

type Shape4 = [number, number, number, number];

interface DepthwiseGradAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Calls `visit` for every (output pixel, filter tap) pair that lands inside the input, with the
 * offsets of the output pixel in dy, of the input pixel in x/dx, and of the tap in the filter.
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (dyBase: number, xBase: number, wBase: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < info.filterHeight; kh++) {
          const ih = oh * info.strideHeight - info.padInfo.top + kh * info.dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < info.filterWidth; kw++) {
            const iw = ow * info.strideWidth - info.padInfo.left + kw * info.dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            visit(dyBase, ((n * inHeight + ih) * inWidth + iw) * inChannels, (kh * info.filterWidth + kw) * outChannels);
          }
        }
      }
    }
  }
}

export function depthwiseConv2dNativeBackpropInput(args: {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: WasmBackend;
  attrs: DepthwiseGradAttrs & { inputShape: Shape4 };
}): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize, inHeight, inWidth, inChannels, outChannels } = info;
  const multiplier = outChannels / inChannels;
  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  const target = f32(backend, dx).fill(0);
  const gradOut = f32(backend, dy);
  const weights = f32(backend, filter);
  forEachTap(info, (dyBase, dxBase, wBase) => {
    if (multiplier === 1) {
      for (let c = 0; c < inChannels; c++) target[dxBase + c] += gradOut[dyBase + c] * weights[wBase + c];
      return;
    }
    for (let c = 0; c < inChannels; c++) {
      let sum = 0;
      for (let m = 0; m < multiplier; m++) sum += gradOut[dyBase + c * multiplier + m] * weights[wBase + c * multiplier + m];
      target[dxBase + c] += sum;
    }
  });
  return dx;
}

export function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmBackend;
  attrs: DepthwiseGradAttrs & { filterShape: Shape4 };
}): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const { inChannels, outChannels } = info;
  const multiplier = outChannels / inChannels;
  // Sums run over batch × output pixels; float64 keeps them as exact as the cpu backend's.
  const sums = new Float64Array(info.filterHeight * info.filterWidth * outChannels);
  const input = f32(backend, x);
  const gradOut = f32(backend, dy);
  forEachTap(info, (dyBase, xBase, wBase) => {
    for (let c = 0; c < inChannels; c++) {
      const value = input[xBase + c];
      for (let m = 0; m < multiplier; m++) sums[wBase + c * multiplier + m] += value * gradOut[dyBase + c * multiplier + m];
    }
  });
  return backend.makeOutput(attrs.filterShape, 'float32', undefined, Float32Array.from(sums));
}
