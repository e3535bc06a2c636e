/**
 * Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", ICCV 2017): the class score's gradient with respect to a layer's
 * activation A, averaged over space, weighs A's channels; the ReLU of the weighted sum is the map
 * of where the evidence for that class lies.
 *
 * The default layer is the last one whose output is still spatial and that is not a pooling or
 * padding layer: for ResNet the last block's output (`conv4_block3_out`), for VGG its last
 * convolution's activation. Coarser than the image, it is upsampled bilinearly for display.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runGraph } from './graph';

const NOT_CONV_LIKE = /^(MaxPooling2D|AveragePooling2D|ZeroPadding2D|Cropping2D|Dropout|SpatialDropout2D|InputLayer|Reshape)$/;

/** Per-image output shape of a layer (no batch axis); null entries are unknown sizes. */
export function layerShape(model: LayersModel, name: string): number[] {
  const shape = model.getLayer(name).outputShape;
  const first = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return first.slice(1).map((n) => n ?? -1);
}

export function isSpatial(shape: number[]): boolean {
  return shape.length === 3 && shape[0] >= 1 && shape[1] >= 1 && shape[0] * shape[1] > 1;
}

/** The default Grad-CAM layer, or null when no layer has a spatial output larger than 1×1. */
export function defaultCamLayer(model: LayersModel): string | null {
  let chosen: string | null = null;
  for (const layer of model.layers) {
    if (NOT_CONV_LIKE.test(layer.getClassName())) continue;
    if (isSpatial(layerShape(model, layer.name))) chosen = layer.name;
  }
  return chosen;
}

export interface CamMap {
  /** height × width values in [0, 1], row-major; all zero when nothing pointed at the class. */
  values: Float32Array;
  height: number;
  width: number;
}

/**
 * Grad-CAM of `classIndex` at `layer` for one preprocessed image (1×H×W×C). The score is the
 * network's first output before softmax (every zoo model outputs logits).
 */
export function gradCam(model: LayersModel, input: tf.Tensor4D, layer: string, classIndex: number): CamMap {
  const [height, width, channels] = layerShape(model, layer);
  let activation: tf.Tensor | null = null;
  const cam = tf.tidy(() => {
    const gradient = tf.grad((delta: tf.Tensor) => {
      const { outputs, taps } = runGraph(model, input, { taps: [layer], inject: { layer, delta } });
      activation = tf.keep(tf.clone(taps.get(layer)!));
      return tf.sum(tf.slice(outputs[0], [0, classIndex], [1, 1]));
    })(tf.zeros([1, height, width, channels]));
    const weights = tf.mean(gradient, [1, 2], true);
    const map = tf.reshape(tf.relu(tf.sum(tf.mul(activation!, weights), -1)), [height, width]);
    const peak = tf.max(map);
    return tf.div(map, tf.maximum(peak, 1e-12));
  });
  try {
    return { values: cam.dataSync() as Float32Array, height, width };
  } finally {
    cam.dispose();
    (activation as tf.Tensor | null)?.dispose();
  }
}

/** Bilinear resampling with pixel centres aligned (as canvas and libvips scale images). */
export function resizeBilinear(values: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * height) / outHeight - 0.5, 0), height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(Math.max(((x + 0.5) * width) / outWidth - 0.5, 0), width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      const top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx;
      const bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx;
      out[y * outWidth + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
