import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { augmentBatch, normalizeBatch, previewAugmentations, type AugmentOptions } from '../../../src-main/data/augment';
import { memorySource } from '../../../src-main/data/cache';
import { benchmarkPipeline, createBatchIterator } from '../../../src-main/data/pipeline';
import { createRandom } from '../../../src-main/data/random';

/** N images of H×W×C where pixel value = x + 10·y (+ 100·n), so moves are easy to read. */
function ramp(count: number, height: number, width: number, channels: number): Uint8Array {
  const out = new Uint8Array(count * height * width * channels);
  for (let n = 0; n < count; n++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out[((n * height + y) * width + x) * channels + c] = (x + 10 * y + 100 * n) & 255;
  return out;
}

const ALL: AugmentOptions = {
  randomResizedCrop: { scale: [0.5, 1], ratio: [0.75, 1.33] },
  horizontalFlip: true,
  colorJitter: { brightness: 0.3, contrast: 0.3, saturation: 0.3 },
};

describe('augmentation', () => {
  it('is deterministic for a seed, keeps the shape and leaves its input alone', () => {
    const images = ramp(4, 8, 8, 3);
    const copy = Uint8Array.from(images);
    const a = augmentBatch(images, [4, 8, 8, 3], ALL, createRandom(5));
    const b = augmentBatch(images, [4, 8, 8, 3], ALL, createRandom(5));
    const c = augmentBatch(images, [4, 8, 8, 3], ALL, createRandom(6));
    expect(a.length).toBe(images.length);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(Buffer.from(images).equals(Buffer.from(copy))).toBe(true);
    expect(() => augmentBatch(images, [5, 8, 8, 3], ALL, createRandom(1))).toThrow(/shape 5×8×8×3/);
  });

  it('flips left-right, and random crop shifts with zero padding', () => {
    const images = ramp(16, 4, 4, 1);
    const flipped = augmentBatch(images, [16, 4, 4, 1], { horizontalFlip: true }, createRandom(1));
    let flips = 0;
    for (let n = 0; n < 16; n++) {
      const row = Array.from(flipped.subarray(n * 16, n * 16 + 4));
      const original = Array.from(images.subarray(n * 16, n * 16 + 4));
      if (row.join() === [...original].reverse().join()) flips++;
      else expect(row).toEqual(original);
    }
    expect(flips).toBeGreaterThan(3);
    expect(flips).toBeLessThan(13);

    // Pixel values 1..16 (x + 4y + 1) so that zero can only be padding.
    const source = new Uint8Array(32 * 16).map((_, i) => (i % 16) + 1);
    const cropped = augmentBatch(source, [32, 4, 4, 1], { randomCrop: { padding: 1 } }, createRandom(2));
    const shifts = new Set<string>();
    for (let n = 0; n < 32; n++) {
      const image = Array.from(cropped.subarray(n * 16, (n + 1) * 16));
      const match = [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => [dx, dy])).find(([dx, dy]) =>
        image.every((v, p) => {
          const [x, y] = [(p % 4) + dx, Math.floor(p / 4) + dy];
          return v === (x < 0 || y < 0 || x > 3 || y > 3 ? 0 : x + 4 * y + 1);
        }),
      );
      expect(match, `image ${n} is not a shift by at most 1 with zero padding`).toBeDefined();
      shifts.add(match!.join());
    }
    expect(shifts.size).toBeGreaterThan(4);
  });

  it('normalizes with the dataset statistics', () => {
    const out = normalizeBatch(Uint8Array.from([0, 255, 51, 102]), 2, { mean: [0.5, 0.2], std: [0.5, 0.1] });
    expect(Array.from(out).map((v) => Number(v.toFixed(4)))).toEqual([-1, 8, -0.6, 2]);
  });

  it('previews augmented samples as PNG bytes, the same for the same seed', async () => {
    const image = ramp(1, 16, 16, 3);
    const previews = await previewAugmentations(image, [16, 16, 3], ALL, 4, 9);
    expect(previews).toHaveLength(4);
    for (const png of previews) {
      expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(await sharp(png).metadata()).toMatchObject({ width: 16, height: 16 });
    }
    const again = await previewAugmentations(image, [16, 16, 3], ALL, 4, 9);
    expect(again.map((p) => Buffer.from(p).toString('base64'))).toEqual(previews.map((p) => Buffer.from(p).toString('base64')));
  });
});

describe('batch pipeline', () => {
  const count = 50;
  const images = ramp(count, 4, 4, 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  const source = memorySource({ images, labels, count });
  const norm = { mean: [0], std: [1 / 255] };

  it('yields every image of the order once, in order, with its label, prefetching ahead', async () => {
    let reads = 0;
    const counting = { ...source, read: (indices: ArrayLike<number>, out: Uint8Array) => ((reads += 1), source.read(indices, out)) };
    const order = Uint32Array.from({ length: count }, (_, i) => (i * 7) % count);
    const iterator = createBatchIterator({ source: counting, order, batchSize: 16, shape: [4, 4, 1], norm, prefetch: 2 });
    const first = await iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // While the consumer holds batch 1, batches 2 and 3 are already being prepared.
    expect(reads).toBeGreaterThanOrEqual(2);
    const seen: number[] = Array.from(first.value!.indices);
    expect(Array.from(first.value!.y)).toEqual(Array.from(first.value!.indices, (i: number) => i % 3));
    expect(first.value!.x[0]).toBe(images[order[0] * 16]);
    for await (const batch of iterator) seen.push(...batch.indices);
    expect(seen).toEqual(Array.from(order));
  });

  it('augments reproducibly and reports its throughput', async () => {
    const order = Uint32Array.from({ length: count }, (_, i) => i);
    const run = async () => {
      const xs: number[] = [];
      for await (const batch of createBatchIterator({ source, order, batchSize: 8, shape: [4, 4, 1], norm, augment: { randomCrop: { padding: 1 }, horizontalFlip: true }, seed: 3 })) xs.push(...batch.x);
      return xs;
    };
    expect(await run()).toEqual(await run());
    const bench = await benchmarkPipeline({ source, batchSize: 8, shape: [4, 4, 1], norm, minSeconds: 0.2 });
    expect(bench.images).toBeGreaterThan(0);
    expect(bench.imagesPerSec).toBeGreaterThan(0);
  });
});
