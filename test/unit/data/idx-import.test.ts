import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '../../../src-main/data/cache';
import { listDatasets, loadDataset } from '../../../src-main/data/datasets';
import { importDataset } from '../../../src-main/data/import';
import { benchmarkPipeline } from '../../../src-main/data/pipeline';

const FASHION = '/usr/share/datasets/fashion-mnist';
const home = mkdtempSync(join(tmpdir(), 'cvb-fashion-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// Debian's dataset-fashion-mnist is a test requirement (.ci/run installs it): missing, this fails.
describe('full Fashion-MNIST from Debian (IDX)', () => {
  it('imports 60,000 training and 10,000 test images with the catalog class names', async () => {
    const began = performance.now();
    const result = await importDataset({ path: FASHION, datasetsDir: join(home, 'datasets') });
    const seconds = (performance.now() - began) / 1000;
    console.log(`Fashion-MNIST import: ${seconds.toFixed(2)} s, ${(70_000 / seconds).toFixed(0)} images/s`);
    expect(result.input).toEqual([28, 28, 1]);
    expect(result.classes[0]).toBe('T-shirt/top');
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total(result.counts.train)).toBe(60_000);
    expect(total(result.counts.test)).toBe(10_000);
    expect(result.counts.train['Ankle boot']).toBe(6000);
    expect(result.skipped).toEqual([]);

    const [info] = await listDatasets({ roots: [join(home, 'datasets')] });
    expect(info).toMatchObject({ id: 'fashion-mnist', trainCount: 60_000, testCount: 10_000, valCount: 0 });
    const dataset = await loadDataset({ roots: [join(home, 'datasets')] }, 'fashion-mnist');
    expect(dataset.train.images.length).toBe(60_000 * 784);
    expect(dataset.test.count).toBe(10_000);

    const bench = await benchmarkPipeline({
      source: memorySource(dataset.train),
      batchSize: 128,
      shape: [28, 28, 1],
      norm: { mean: [0.286], std: [0.353] },
      augment: { randomCrop: { padding: 2 }, horizontalFlip: true },
      minSeconds: 1,
    });
    console.log(`pipeline (augmented, 28×28×1, batch 128): ${bench.imagesPerSec.toFixed(0)} images/s`);
    expect(bench.imagesPerSec).toBeGreaterThan(1000);
  }, 60_000);
});
