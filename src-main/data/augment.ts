/**
 * Augmentation on uint8 batches (N×H×W×C, channels last), then normalization to float. Pure
 * functions of their inputs and a seeded generator: the same seed gives the same batch, which is
 * what makes them testable and a run reproducible.
 *
 * Order per image: random resized crop or random crop with padding (zero fill, as torchvision),
 * horizontal flip, colour jitter (brightness, contrast, saturation). Normalization uses the
 * dataset's per-channel mean and std.
 */
import sharp from 'sharp';
import type { Normalization } from './batches';
import { createRandom, type Random } from './random';

export interface AugmentOptions {
  /** Shift by up to `padding` pixels, filling with zeros (CIFAR: 4). */
  randomCrop?: { padding: number };
  /** Mirror left-right with probability 0.5. */
  horizontalFlip?: boolean;
  /** Crop a random area and aspect ratio, resized back (ImageNet style). */
  randomResizedCrop?: { scale: [number, number]; ratio: [number, number] };
  /** Each factor is drawn from [1 − x, 1 + x]. */
  colorJitter?: { brightness?: number; contrast?: number; saturation?: number };
}

export type BatchShape = [count: number, height: number, width: number, channels: number];

export function hasAugmentation(options: AugmentOptions | undefined): boolean {
  return !!options && !!(options.randomCrop?.padding || options.horizontalFlip || options.randomResizedCrop || options.colorJitter);
}

interface Geometry {
  /** Source position of output pixel (x, y): (x0 + x·scaleX, y0 + y·scaleY), mirrored when flip. */
  x0: number;
  y0: number;
  scaleX: number;
  scaleY: number;
  flip: boolean;
  bilinear: boolean;
}

function drawGeometry(height: number, width: number, options: AugmentOptions, random: Random): Geometry {
  const geometry: Geometry = { x0: 0, y0: 0, scaleX: 1, scaleY: 1, flip: false, bilinear: false };
  if (options.randomResizedCrop) {
    const { scale, ratio } = options.randomResizedCrop;
    const area = height * width;
    let found = false;
    for (let attempt = 0; attempt < 10 && !found; attempt++) {
      const target = area * (scale[0] + random() * (scale[1] - scale[0]));
      const logRatio = Math.log(ratio[0]) + random() * (Math.log(ratio[1]) - Math.log(ratio[0]));
      const aspect = Math.exp(logRatio);
      const w = Math.sqrt(target * aspect);
      const h = Math.sqrt(target / aspect);
      if (w <= width && h <= height) {
        geometry.x0 = random() * (width - w);
        geometry.y0 = random() * (height - h);
        geometry.scaleX = w / width;
        geometry.scaleY = h / height;
        found = true;
      }
    }
    geometry.bilinear = found;
  } else if (options.randomCrop?.padding) {
    const pad = options.randomCrop.padding;
    geometry.x0 = Math.floor(random() * (2 * pad + 1)) - pad;
    geometry.y0 = Math.floor(random() * (2 * pad + 1)) - pad;
  }
  if (options.horizontalFlip) geometry.flip = random() < 0.5;
  return geometry;
}

function sampleImage(src: Uint8Array, out: Uint8Array, height: number, width: number, channels: number, g: Geometry): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ox = g.flip ? width - 1 - x : x;
      const target = (y * width + ox) * channels;
      if (!g.bilinear) {
        const sx = g.x0 + x;
        const sy = g.y0 + y;
        if (sx < 0 || sy < 0 || sx >= width || sy >= height) {
          for (let c = 0; c < channels; c++) out[target + c] = 0;
        } else {
          const source = (sy * width + sx) * channels;
          for (let c = 0; c < channels; c++) out[target + c] = src[source + c];
        }
        continue;
      }
      // Pixel centres: output (x + 0.5) maps into the crop, then back to source indices.
      const fx = Math.min(width - 1, Math.max(0, g.x0 + (x + 0.5) * g.scaleX - 0.5));
      const fy = Math.min(height - 1, Math.max(0, g.y0 + (y + 0.5) * g.scaleY - 0.5));
      const x1 = Math.floor(fx);
      const y1 = Math.floor(fy);
      const x2 = Math.min(width - 1, x1 + 1);
      const y2 = Math.min(height - 1, y1 + 1);
      const ax = fx - x1;
      const ay = fy - y1;
      for (let c = 0; c < channels; c++) {
        const top = src[(y1 * width + x1) * channels + c] * (1 - ax) + src[(y1 * width + x2) * channels + c] * ax;
        const bottom = src[(y2 * width + x1) * channels + c] * (1 - ax) + src[(y2 * width + x2) * channels + c] * ax;
        out[target + c] = Math.round(top * (1 - ay) + bottom * ay);
      }
    }
  }
}

function jitter(image: Uint8Array, channels: number, options: NonNullable<AugmentOptions['colorJitter']>, random: Random): void {
  const factor = (amount = 0) => (amount > 0 ? 1 - amount + random() * 2 * amount : 1);
  const brightness = factor(options.brightness);
  const contrast = factor(options.contrast);
  const saturation = channels === 3 ? factor(options.saturation) : 1;
  const pixels = image.length / channels;
  const gray = (p: number) => (channels === 3 ? 0.299 * image[p * 3] + 0.587 * image[p * 3 + 1] + 0.114 * image[p * 3 + 2] : image[p]);
  let mean = 0;
  if (contrast !== 1) {
    for (let p = 0; p < pixels; p++) mean += gray(p);
    mean = (mean / pixels) * brightness;
  }
  for (let p = 0; p < pixels; p++) {
    const g = gray(p) * brightness;
    for (let c = 0; c < channels; c++) {
      let v = image[p * channels + c] * brightness;
      if (saturation !== 1) v = g + (v - g) * saturation;
      if (contrast !== 1) v = mean + (v - mean) * contrast;
      image[p * channels + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
}

/** Returns a new uint8 batch with each image augmented; `images` is left untouched. */
export function augmentBatch(images: Uint8Array, shape: BatchShape, options: AugmentOptions, random: Random): Uint8Array {
  const [count, height, width, channels] = shape;
  const imageBytes = height * width * channels;
  if (images.length !== count * imageBytes) throw new RangeError(`batch has ${images.length} bytes; shape ${shape.join('×')} needs ${count * imageBytes}`);
  const out = new Uint8Array(images.length);
  for (let n = 0; n < count; n++) {
    const src = images.subarray(n * imageBytes, (n + 1) * imageBytes);
    const dst = out.subarray(n * imageBytes, (n + 1) * imageBytes);
    sampleImage(src, dst, height, width, channels, drawGeometry(height, width, options, random));
    if (options.colorJitter) jitter(dst, channels, options.colorJitter, random);
  }
  return out;
}

/** uint8 pixels → (v / 255 − mean) / std per channel, into `out` when given. */
export function normalizeBatch(images: Uint8Array, channels: number, norm: Normalization, out?: Float32Array): Float32Array {
  const result = out ?? new Float32Array(images.length);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, c) => -m / norm.std[c]);
  if (channels === 1) {
    const [a, b] = [scale[0], shift[0]];
    for (let i = 0; i < images.length; i++) result[i] = images[i] * a + b;
  } else {
    for (let i = 0; i < images.length; i += channels) {
      for (let c = 0; c < channels; c++) result[i + c] = images[i + c] * scale[c] + shift[c];
    }
  }
  return result;
}

/** One image as PNG bytes (the UI scales small images up with nearest-neighbour). */
export async function encodePng(pixels: Uint8Array, height: number, width: number, channels: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp(pixels, { raw: { width, height, channels: channels as 1 | 3 } }).png().toBuffer());
}

/**
 * `count` augmented versions of one image, as PNG bytes: the preview the Train screen shows next
 * to the augmentation settings. The same seed gives the same previews.
 */
export async function previewAugmentations(image: Uint8Array, shape: [height: number, width: number, channels: number], options: AugmentOptions, count: number, seed: number): Promise<Uint8Array[]> {
  const [height, width, channels] = shape;
  const batch = new Uint8Array(count * image.length);
  for (let n = 0; n < count; n++) batch.set(image, n * image.length);
  const augmented = augmentBatch(batch, [count, height, width, channels], options, createRandom(seed));
  return Promise.all(Array.from({ length: count }, (_, n) => encodePng(augmented.subarray(n * image.length, (n + 1) * image.length), height, width, channels)));
}
