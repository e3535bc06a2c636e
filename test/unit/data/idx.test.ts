import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx } from '../../../src-main/data/idx';
import { listDatasets, loadDataset } from '../../../src-main/data/datasets';

describe('IDX', () => {
  it('round-trips plain and gzipped files', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    const bytes = encodeIdx([2, 3, 4], data);
    for (const input of [bytes, gzipSync(bytes)]) {
      const parsed = parseIdx(input);
      expect(parsed.dims).toEqual([2, 3, 4]);
      expect(Array.from(parsed.data)).toEqual(Array.from(data));
    }
  });

  it('names what is wrong with a bad file', () => {
    expect(() => parseIdx(Uint8Array.from([1, 2]), 'x.idx')).toThrow('x.idx: not an IDX file (only 2 bytes)');
    expect(() => parseIdx(Uint8Array.from([0x50, 0x4b, 3, 4]), 'a.zip')).toThrow(/magic starts with 0x504b/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).toThrow(/element type 0xd/);
    const truncated = encodeIdx([10, 2], new Uint8Array(20)).subarray(0, 20);
    expect(() => parseIdx(truncated, 't.idx')).toThrow('t.idx: IDX dimensions 10×2 need 20 bytes of data, found 8');
  });
});

describe('bundled Fashion-MNIST subset', () => {
  const roots = [join(__dirname, '..', '..', '..', 'resources', 'datasets')];

  it('is listed with its classes and counts', async () => {
    const [info] = await listDatasets({ roots });
    expect(info).toMatchObject({ id: 'fashion-mnist-subset', input: [28, 28, 1], trainCount: 10_000, testCount: 2_000 });
    expect(info.classes).toHaveLength(10);
  });

  it('is stratified: 1,000 training and 200 test images per class', async () => {
    const dataset = await loadDataset({ roots }, 'fashion-mnist-subset');
    const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    expect(counts(dataset.train.labels)).toEqual(Array(10).fill(1000));
    expect(counts(dataset.test.labels)).toEqual(Array(10).fill(200));
    expect(dataset.train.images.length).toBe(10_000 * 28 * 28);
  });
});
