/** Sample images of a dataset as PNG bytes: the grid per class and the augmentation preview. */
import { encodePng, previewAugmentations, type AugmentOptions } from './augment';
import { memorySource, type ImageSource } from './cache';
import { openSplit, type DatasetLocations } from './datasets';
import { createRandom, shuffleInPlace } from './random';
import type { SplitName } from './sources';

export interface DatasetSample {
  label: number;
  index: number;
  png: Uint8Array;
}

async function withSource<T>(locations: DatasetLocations, id: string, split: SplitName, use: (source: ImageSource, input: [number, number, number]) => Promise<T>): Promise<T> {
  const opened = await openSplit(locations, id, split);
  const source = opened.reader ?? memorySource(opened.split!);
  try {
    return await use(source, opened.info.input);
  } finally {
    await opened.reader?.close();
  }
}

/** Up to `perClass` images of each class, picked with a seeded shuffle. */
export function datasetSamples(locations: DatasetLocations, id: string, options: { split?: SplitName; perClass?: number; seed?: number } = {}): Promise<DatasetSample[]> {
  const split = options.split ?? 'train';
  const perClass = options.perClass ?? 8;
  return withSource(locations, id, split, async (source, [height, width, channels]) => {
    const order = Array.from({ length: source.count }, (_, i) => i);
    shuffleInPlace(order, createRandom(options.seed ?? 0));
    const taken = new Map<number, number>();
    const picked: number[] = [];
    for (const index of order) {
      const label = source.labels[index];
      if ((taken.get(label) ?? 0) >= perClass) continue;
      taken.set(label, (taken.get(label) ?? 0) + 1);
      picked.push(index);
    }
    picked.sort((a, b) => source.labels[a] - source.labels[b] || a - b);
    const pixels = new Uint8Array(picked.length * source.imageBytes);
    await source.read(picked, pixels);
    return Promise.all(
      picked.map(async (index, n) => ({
        label: source.labels[index],
        index,
        png: await encodePng(pixels.subarray(n * source.imageBytes, (n + 1) * source.imageBytes), height, width, channels),
      })),
    );
  });
}

/** `count` augmented versions of image `index` (the original first). */
export function datasetAugmentationPreview(
  locations: DatasetLocations,
  id: string,
  options: { split?: SplitName; index: number; augment: AugmentOptions; count: number; seed?: number },
): Promise<Uint8Array[]> {
  return withSource(locations, id, options.split ?? 'train', async (source, input) => {
    if (options.index < 0 || options.index >= source.count) throw new RangeError(`index ${options.index} is outside 0..${source.count - 1}`);
    const image = new Uint8Array(source.imageBytes);
    await source.read([options.index], image);
    const original = await encodePng(image, input[0], input[1], input[2]);
    return [original, ...(await previewAugmentations(image, input, options.augment, options.count, options.seed ?? 0))];
  });
}
