import * as tf from '@tensorflow/tfjs-core';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../../../src-main/contract';
import { channelStats, gatherBatch } from '../../../src-main/data/batches';
import { PREPROCESSING_FILE, readPreprocessing } from '../../../src-main/data/preprocess';
import { initBackend } from '../../../src-main/engine';
import { predict, layers, featureMaps, seWeights } from '../../../src-main/infer/jobs';
import { ModelCache } from '../../../src-main/infer/models';
import { planTraining } from '../../../src-main/train/loop';
import { DATASET_ROOTS, datasetPng, fashionMnist, makeRun, type FixtureRun } from './fixtures';

let plain: FixtureRun;
let saved: FixtureRun;
let cache: ModelCache;

beforeAll(async () => {
  await initBackend();
  plain = await makeRun({ best: false });
  saved = await makeRun({ withPreprocessing: true });
  cache = new ModelCache(plain.store, DATASET_ROOTS, 2);
});
afterAll(() => {
  cache.clear();
  for (const home of new Set([plain?.home, saved?.home])) if (home) rmSync(home, { recursive: true, force: true });
});

const context = () => ({ cache, backend: tf.getBackend() });

describe('one preprocessing path', () => {
  it('predicts what the model outputs on the tensor the training code builds for the same image', async () => {
    const dataset = await fashionMnist();
    const config = TrainConfigSchema.parse(plain.store.read(plain.runId).config);
    const norm = channelStats(dataset.train, 1, planTraining(config, dataset.train).trainIndices);
    const indices = [0, 7, 123];
    const images = await Promise.all(indices.map(async (i) => ({ name: `train-${i}.png`, bytes: new Uint8Array(await datasetPng(dataset, i)) })));
    const response = await predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'best', images, topK: 10 });
    // No best checkpoint yet: the last one answers, and the response says so.
    expect(response.checkpoint).toBe('last');
    expect(response.preprocessing.source).toBe('recomputed');
    expect(response.preprocessing.mean[0]).toBeCloseTo(norm.mean[0], 10);
    const { loaded } = await cache.get(plain.runId, 'last');
    const expected = tf.tidy(() => {
      const x = tf.tensor4d(gatherBatch(dataset.train, indices, 1, norm), [indices.length, 28, 28, 1]);
      return tf.softmax(loaded.model.predict(x) as tf.Tensor).arraySync() as number[][];
    });
    response.predictions.forEach((prediction, n) => {
      expect(prediction.error).toBeUndefined();
      expect(prediction.notes).toEqual([]);
      for (const entry of prediction.top!) expect(entry.probability).toBeCloseTo(expected[n][entry.index], 5);
      expect(prediction.top!.map((t) => t.probability)).toEqual([...prediction.top!.map((t) => t.probability)].sort((a, b) => b - a));
    });
  });

  it('uses the preprocessing.json saved with the checkpoint, equal to the recomputed one', async () => {
    const savedFile = readPreprocessing(join(saved.store.runDir(saved.runId), 'checkpoints', 'best'));
    expect(savedFile).not.toBeNull();
    const cacheSaved = new ModelCache(saved.store, [], 1);
    try {
      const response = await layers({ cache: cacheSaved, backend: 'test' }, { kind: 'layers', runId: saved.runId, checkpoint: 'best' });
      expect(response.preprocessing.source).toBe('checkpoint');
      expect(response.preprocessing.std).toEqual(savedFile!.std);
      expect(response.camLayer).toBe('conv4_block3_out');
      expect(response.seBlocks).toEqual([]);
      expect(existsSync(join(saved.store.runDir(saved.runId), 'checkpoints', 'best', PREPROCESSING_FILE))).toBe(true);
    } finally {
      cacheSaved.clear();
    }
  });
});

describe('bad input, per file', () => {
  it('answers every file of a drop: converted where expected, refused with the reason where not', async () => {
    const dataset = await fashionMnist();
    const good = await datasetPng(dataset, 3);
    const colour = await sharp({ create: { width: 60, height: 40, channels: 3, background: { r: 220, g: 40, b: 40 } } }).jpeg().toBuffer();
    const transparent = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const tiny = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
    const elongated = await sharp({ create: { width: 400, height: 20, channels: 3, background: '#fff' } }).png().toBuffer();
    const huge = await sharp({ create: { width: 8000, height: 7000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const images = [
      { name: 'good.png', bytes: good },
      { name: 'colour.jpg', bytes: colour },
      { name: 'transparent.png', bytes: transparent },
      { name: 'notes.txt', bytes: Buffer.from('just some words, not pixels') },
      { name: 'truncated.png', bytes: good.subarray(0, good.length - 40) },
      { name: 'tiny.png', bytes: tiny },
      { name: 'elongated.png', bytes: elongated },
      { name: 'huge.png', bytes: huge },
      { name: 'drawing.svg', bytes: svg },
      { name: 'gone.png', error: 'file not found' },
    ].map((image) => ('bytes' in image ? { ...image, bytes: new Uint8Array(image.bytes!) } : image));
    const response = await predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images, topK: 3 });
    const byName = Object.fromEntries(response.predictions.map((p) => [p.name, p]));
    expect(response.predictions.map((p) => p.name)).toEqual(images.map((i) => i.name));
    expect(byName['good.png'].top).toHaveLength(3);
    expect(byName['colour.jpg'].top).toHaveLength(3);
    expect(byName['colour.jpg'].notes.join(' ')).toMatch(/resized 60×40 → 28×28.*converted to grayscale/);
    expect(byName['transparent.png'].top).toHaveLength(3);
    expect(byName['notes.txt'].error).toMatch(/not an image/);
    expect(byName['truncated.png'].error).toMatch(/corrupt or truncated png/);
    expect(byName['tiny.png'].error).toMatch(/too small: 4×4/);
    expect(byName['elongated.png'].error).toMatch(/too elongated/);
    expect(byName['huge.png'].error).toMatch(/too large/);
    expect(byName['drawing.svg'].error).toMatch(/not an image/);
    expect(byName['gone.png'].error).toBe('file not found');
  });

  it('repeats a grayscale image to three channels for a colour network', async () => {
    // A network that takes colour 28×28 images, with the preprocessing to match.
    const colourModel = await makeRun({ home: plain.home, best: false, overrides: { input: [28, 28, 3] } });
    const colourDir = join(colourModel.store.runDir(colourModel.runId), 'checkpoints', 'last');
    writeFileSync(join(colourDir, PREPROCESSING_FILE), JSON.stringify({ version: 1, input: [28, 28, 3], classes: 'abcdefghij'.split(''), mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: 'squash', background: 'white' }));
    const gray = new Uint8Array(await datasetPng(await fashionMnist(), 5));
    const response = await predict(context(), { kind: 'predict', runId: colourModel.runId, checkpoint: 'last', images: [{ name: 'gray.png', bytes: gray }], topK: 2 });
    expect(response.predictions[0].notes).toEqual(['grayscale image repeated to three channels: the network was trained on colour images']);
    expect(response.predictions[0].top![0].class).toMatch(/^[a-j]$/);
  });

  it('refuses an unknown layer or class with the field at fault', async () => {
    const image = { name: 'x.png', bytes: new Uint8Array(await datasetPng(await fashionMnist(), 1)) };
    await expect(predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images: [image], topK: 1, cam: { layer: 'nope', output: 'heatmap', opacity: 0.5 } })).rejects.toMatchObject({ error: { code: 'invalid_request', field: 'cam.layer' } });
    await expect(predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images: [image], topK: 1, cam: { layer: 'logits', output: 'heatmap', opacity: 0.5 } })).rejects.toMatchObject({ error: { field: 'cam.layer', message: /not a spatial map/ } });
    await expect(predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images: [image], topK: 1, cam: { classIndex: 10, output: 'heatmap', opacity: 0.5 } })).rejects.toMatchObject({ error: { field: 'cam.classIndex' } });
    await expect(predict(context(), { kind: 'predict', runId: 'no-such-run', checkpoint: 'last', images: [image], topK: 1 })).rejects.toMatchObject({ error: { code: 'not_found', field: 'runId' } });
  });

  it('names the checkpoint when a run exists but has none saved yet', async () => {
    const image = { name: 'x.png', bytes: new Uint8Array(await datasetPng(await fashionMnist(), 1)) };
    const fresh = plain.store.create(TrainConfigSchema.parse(plain.store.read(plain.runId).config), { workbench: 'test' });
    for (const checkpoint of ['best', 'last'] as const) {
      await expect(predict(context(), { kind: 'predict', runId: fresh.id, checkpoint, images: [image], topK: 1 })).rejects.toMatchObject({
        error: { code: 'not_found', field: 'checkpoint', message: expect.stringContaining(`run "${fresh.id}" has no ${checkpoint} checkpoint yet`) },
      });
    }
  });
});

describe('why: Grad-CAM, feature maps, squeeze-excitation', () => {
  it('returns a heatmap and an overlay PNG for the predicted or a chosen class', async () => {
    const image = { name: 'x.png', bytes: new Uint8Array(await datasetPng(await fashionMnist(), 2)) };
    const response = await predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images: [image], topK: 3, cam: { output: 'both', opacity: 0.6 } });
    const cam = response.predictions[0].cam!;
    expect(cam.classIndex).toBe(response.predictions[0].top![0].index);
    expect(cam.layer).toBe('conv4_block3_out');
    expect([cam.heatmap!.width, cam.heatmap!.height]).toEqual([7, 7]);
    expect(Math.max(...cam.heatmap!.values)).toBeLessThanOrEqual(1);
    const meta = await sharp(Buffer.from(cam.png!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256]);
    const chosen = await predict(context(), { kind: 'predict', runId: plain.runId, checkpoint: 'last', images: [image], topK: 1, cam: { classIndex: 4, layer: 'conv3_block1_out', output: 'heatmap', opacity: 0.5 } });
    expect(chosen.predictions[0].cam).toMatchObject({ classIndex: 4, class: 'Coat', layer: 'conv3_block1_out', heatmap: { width: 14, height: 14 } });
  });

  it('draws any spatial layer as a grid and reads the gates of a squeeze-excitation block', async () => {
    const se = await makeRun({ home: plain.home, best: false, overrides: { se: true } });
    const image = { name: 'x.png', bytes: new Uint8Array(await datasetPng(await fashionMnist(), 9)) };
    const described = await layers(context(), { kind: 'layers', runId: se.runId, checkpoint: 'last' });
    expect(described.seBlocks).toContain('conv2_block1_se');
    const maps = await featureMaps(context(), { kind: 'featureMaps', runId: se.runId, checkpoint: 'last', image, layer: 'conv2_block1_out', maxChannels: 10 });
    expect(maps).toMatchObject({ shape: [28, 28, 16], channels: 10, columns: 4, rows: 3 });
    expect((await sharp(Buffer.from(maps.png, 'base64')).metadata()).format).toBe('png');
    const gates = await seWeights(context(), { kind: 'seWeights', runId: se.runId, checkpoint: 'last', image, block: 'conv2_block1_se' });
    expect(gates.weights).toHaveLength(16);
    for (const w of gates.weights) {
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThan(1);
    }
    await expect(seWeights(context(), { kind: 'seWeights', runId: plain.runId, checkpoint: 'last', image, block: 'conv2_block1_se' })).rejects.toMatchObject({ error: { field: 'block', message: /it has none/ } });
  });
});

describe('model cache', () => {
  it('keeps loaded models, reloads a checkpoint that changed, evicts the least recently used', async () => {
    const other = await makeRun({ home: plain.home, withPreprocessing: true });
    const local = new ModelCache(plain.store, DATASET_ROOTS, 1);
    try {
      const first = await local.get(plain.runId, 'last');
      expect(first.fresh).toBe(true);
      expect((await local.get(plain.runId, 'last')).fresh).toBe(false);
      expect(local.loads).toBe(1);
      // A running run saves its checkpoint again: the newer weights are loaded, the old ones dropped.
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(plain.store.runDir(plain.runId), 'checkpoints', 'last', 'model.json'), later, later);
      expect((await local.get(plain.runId, 'last')).fresh).toBe(true);
      expect(local.keys()).toHaveLength(1);
      expect(local.loads).toBe(2);
      await local.get(other.runId, 'best');
      expect(local.keys()).toHaveLength(1);
      expect(() => first.loaded.model.predict(tf.zeros([1, 28, 28, 1]))).toThrow(/disposed/);
      expect(local.loads).toBe(3);
    } finally {
      local.clear();
    }
  });
});
