// Writes the bundled Fashion-MNIST subset (resources/datasets/fashion-mnist-subset) from Debian's
// dataset-fashion-mnist package: the first 1,000 training and 200 test images of each class, in
// file order, so the subset is stratified and reproducible. Run: npm run make:sample-dataset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, readIdxFile } from '../src-main/data/idx';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = 'resources/datasets/fashion-mnist-subset';
mkdirSync(out, { recursive: true });

async function subset(prefix: string, perClass: number): Promise<number> {
  const images = await readIdxFile(join(source, `${prefix}-images-idx3-ubyte.gz`));
  const labels = await readIdxFile(join(source, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, rows, cols] = images.dims;
  const pixels = rows * cols;
  const taken = new Array(10).fill(0);
  const chosen: number[] = [];
  for (let i = 0; i < count && chosen.length < perClass * 10; i++) {
    const label = labels.data[i];
    if (taken[label] < perClass) {
      taken[label]++;
      chosen.push(i);
    }
  }
  const imageData = new Uint8Array(chosen.length * pixels);
  const labelData = new Uint8Array(chosen.length);
  chosen.forEach((index, j) => {
    imageData.set(images.data.subarray(index * pixels, (index + 1) * pixels), j * pixels);
    labelData[j] = labels.data[index];
  });
  writeFileSync(join(out, `${prefix}-images-idx3-ubyte.gz`), gzipSync(encodeIdx([chosen.length, rows, cols], imageData), { level: 9 }));
  writeFileSync(join(out, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx([chosen.length], labelData), { level: 9 }));
  return chosen.length;
}

const train = await subset('train', 1000);
const test = await subset('t10k', 200);
console.log(`wrote ${train} training and ${test} test images to ${out}`);
