/**
 * Turns uint8 images into normalized float batches. Kept apart from the training loop so that the
 * same preprocessing serves training, evaluation and (later) inference.
 */
import type { Split } from './datasets';

export interface Normalization {
  mean: number[];
  std: number[];
}

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export function channelStats(split: Split, channels: number, indices?: ArrayLike<number>): Normalization {
  const pixelsPerImage = split.images.length / split.count;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const count = indices ? indices.length : split.count;
  for (let n = 0; n < count; n++) {
    const offset = (indices ? indices[n] : n) * pixelsPerImage;
    for (let p = 0; p < pixelsPerImage; p++) {
      const v = split.images[offset + p] / 255;
      const c = p % channels;
      sum[c] += v;
      sumSq[c] += v * v;
    }
  }
  const perChannel = (count * pixelsPerImage) / channels;
  const mean = Array.from(sum, (s) => s / perChannel);
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(s / perChannel - mean[c] ** 2, 1e-12)));
  return { mean, std };
}

/** Fills `out` with the normalized pixels of the images at `indices` (N×H×W×C, channels last). */
export function gatherBatch(split: Split, indices: ArrayLike<number>, channels: number, norm: Normalization, out?: Float32Array): Float32Array {
  const pixelsPerImage = split.images.length / split.count;
  const result = out ?? new Float32Array(indices.length * pixelsPerImage);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, c) => -m / norm.std[c]);
  for (let n = 0; n < indices.length; n++) {
    const source = indices[n] * pixelsPerImage;
    const target = n * pixelsPerImage;
    for (let p = 0; p < pixelsPerImage; p++) {
      const c = p % channels;
      result[target + p] = split.images[source + p] * scale[c] + shift[c];
    }
  }
  return result;
}

export function gatherLabels(split: Split, indices: ArrayLike<number>): Int32Array {
  const labels = new Int32Array(indices.length);
  for (let n = 0; n < indices.length; n++) labels[n] = split.labels[indices[n]];
  return labels;
}
