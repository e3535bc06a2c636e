/**
 * The preprocessing a network was trained with, written next to its checkpoint as
 * preprocessing.json, and the one function that turns an image's uint8 pixels into the network's
 * input: the same `gatherBatch` the training loop uses, so training, evaluation and inference
 * cannot drift apart.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatherBatch, type Normalization } from './batches';

export const PREPROCESSING_FILE = 'preprocessing.json';
export const PREPROCESSING_VERSION = 1;

export interface Preprocessing {
  version: number;
  /** height × width × channels of the network's input. */
  input: [number, number, number];
  classes: string[];
  /** Per-channel mean and standard deviation of the training pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
  /** How an image of another size was brought to `input` when the dataset was imported. */
  resize: 'squash' | 'crop' | 'pad';
  /** What transparent pixels and padding became. */
  background: 'white' | 'black';
}

/** What the training worker writes into each checkpoint folder. */
export function describePreprocessing(
  input: [number, number, number],
  classes: string[],
  norm: Normalization,
  options: { resize?: Preprocessing['resize']; background?: Preprocessing['background'] } = {},
): Preprocessing {
  return {
    version: PREPROCESSING_VERSION,
    input: [...input] as [number, number, number],
    classes: [...classes],
    mean: [...norm.mean],
    std: [...norm.std],
    resize: options.resize ?? 'squash',
    background: options.background ?? 'white',
  };
}

export function writePreprocessing(checkpointDir: string, preprocessing: Preprocessing): void {
  writeFileSync(join(checkpointDir, PREPROCESSING_FILE), `${JSON.stringify(preprocessing, null, 2)}\n`);
}

/** The checkpoint's preprocessing.json, or null when the checkpoint predates it or it is damaged. */
export function readPreprocessing(checkpointDir: string): Preprocessing | null {
  const file = join(checkpointDir, PREPROCESSING_FILE);
  if (!existsSync(file)) return null;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Preprocessing;
    const [height, width, channels] = value.input ?? [];
    const ok =
      [height, width, channels].every((n) => Number.isInteger(n) && n > 0) &&
      Array.isArray(value.classes) &&
      value.mean?.length === channels &&
      value.std?.length === channels &&
      value.std.every((s) => s > 0);
    return ok ? { ...value, resize: value.resize ?? 'squash', background: value.background ?? 'white' } : null;
  } catch {
    return null;
  }
}

/** Normalizes one image's pixels (height × width × channels, uint8) exactly as a training batch. */
export function normalizeImage(pixels: Uint8Array, channels: number, norm: Normalization, out?: Float32Array): Float32Array {
  return gatherBatch({ images: pixels, labels: new Uint8Array(1), count: 1 }, [0], channels, norm, out);
}

/**
 * RGB pixels to the network's channels: replicated gray stays gray, colour becomes luminance with
 * the weights the dataset import uses (ITU-R BT.601), so a photo reaches a grayscale network as
 * the training images did.
 */
export function rgbToChannels(rgb: Uint8Array, channels: 1 | 3): Uint8Array {
  if (channels === 3) return rgb;
  const out = new Uint8Array(rgb.length / 3);
  for (let p = 0; p < out.length; p++) out[p] = Math.round(0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2]);
  return out;
}

/** True when every pixel has R = G = B (a grayscale picture saved as colour). */
export function isGrayRgb(rgb: Uint8Array): boolean {
  for (let p = 0; p < rgb.length; p += 3) if (rgb[p] !== rgb[p + 1] || rgb[p] !== rgb[p + 2]) return false;
  return true;
}
