/** A tiny dataset (8×8 gray, 6 classes) and a waiting helper, so runs train in seconds. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const TINY_DATASET = 'tiny-shapes';
export const TINY_CLASSES = ['a', 'b', 'c', 'd', 'e', 'f'];

function idx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, data]));
}

/** Each class lights a different band of the image, with noise, so a network learns it quickly. */
function split(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  for (let n = 0; n < count; n++) {
    const label = n % TINY_CLASSES.length;
    labels[n] = label;
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      const on = row === label || row === label + 1;
      images[n * 64 + p] = Math.round((on ? 180 : 40) + random() * 60);
    }
  }
  return { images, labels };
}

/** Writes the dataset into `<home>/datasets/tiny-shapes` (the home's writable dataset root). */
export function writeTinyDataset(home: string, trainCount = 480, testCount = 60): string {
  const dir = join(home, 'datasets', TINY_DATASET);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ id: TINY_DATASET, name: 'Tiny shapes', format: 'idx', classes: TINY_CLASSES, input: [8, 8, 1], source: 'test' }));
  const train = split(trainCount, 1);
  const test = split(testCount, 2);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx(0x803, [trainCount, 8, 8], train.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx(0x801, [trainCount], train.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx(0x803, [testCount, 8, 8], test.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx(0x801, [testCount], test.labels));
  return dir;
}

export { waitFor } from '../helpers/wait';
