/**
 * The one function that turns the uint8 images of a batch into the normalised float batch a
 * training step consumes, shared by the in-thread pipeline and the batch worker thread so that both
 * give bit-identical batches: copy the images, augment them with the run's seeded stream (when the
 * batch is a training batch and the run augments), normalise with the dataset's statistics.
 *
 * The augmentation stream is a mulberry32 generator whose whole state is one uint32 (the same
 * algorithm and state as train/random.ts's Mulberry32), so the state after each batch can travel
 * back from a worker thread and into a checkpoint.
 */
import { augmentBatch, normalizeBatch, type AugmentOptions } from './augment';
import type { Normalization } from './batches';
import type { Mulberry32 } from './random';

export interface BatchSpec {
  /** H, W, C of every image. */
  shape: [number, number, number];
  norm: Normalization;
  /** The run's augmentation, or null when it has none. */
  augment: AugmentOptions | null;
}

/** A prepared batch: normalised pixels (N×H×W×C), labels, and the augmentation stream's state after it. */
export interface PreparedBatch {
  x: Float32Array;
  y: Int32Array;
  augmentState: number;
}

/**
 * Normalises (and, when `random` is given and the spec augments, first augments) the `count`
 * images in `raw`. `raw` is left untouched only when it is not augmented in place: augmentBatch
 * returns a new array, normalisation writes into `out` (a new array when not given).
 */
export function finishBatch(raw: Uint8Array, count: number, spec: BatchSpec, random: Mulberry32 | null, out?: Float32Array): Float32Array {
  const [height, width, channels] = spec.shape;
  const pixels = spec.augment && random ? augmentBatch(raw, [count, height, width, channels], spec.augment, random.next) : raw;
  return normalizeBatch(pixels, channels, spec.norm, out);
}

export function labelsOf(labels: Uint8Array, indices: ArrayLike<number>): Int32Array {
  const y = new Int32Array(indices.length);
  for (let n = 0; n < indices.length; n++) y[n] = labels[indices[n]];
  return y;
}
