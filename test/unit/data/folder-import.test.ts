import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, lstatSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_FRACTION } from '../../../src-main/contract';
import { channelStats } from '../../../src-main/data/batches';
import { encodeBmp24 } from '../../../src-main/data/bmp';
import { CacheSplitReader, memorySource } from '../../../src-main/data/cache';
import { deleteDataset, getDataset, listDatasets, loadDataset } from '../../../src-main/data/datasets';
import { ImportCancelledError, ImportError, importDataset, type ImportOptions } from '../../../src-main/data/import';
import { stratifiedSplit } from '../../../src-main/data/splits';
import { bombPng, noise, png16, solid, write } from './fixtures';

const work = mkdtempSync(join(tmpdir(), 'cvb-folder-'));
const messy = join(work, 'messy');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Names, sizes, modes, mtimes and contents of everything below `root` (symlinks not followed). */
function snapshot(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const link = lstatSync(path);
      if (link.isSymbolicLink()) {
        lines.push(`${relative(root, path)} -> ${readlinkSync(path)}`);
        continue;
      }
      lines.push(`${relative(root, path)} ${link.mode} ${link.mtimeMs} ${link.size}`);
      if (link.isDirectory()) walk(path);
      else lines.push(createHash('md5').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return lines.join('\n');
}

beforeAll(async () => {
  // Good images: every format and colour mode, odd names.
  write(join(messy, 'cats', 'photo.jpg'), await noise(40, 30, 1).jpeg().toBuffer());
  write(join(messy, 'cats', 'ünïcødé 猫.png'), await noise(20, 20, 2).png().toBuffer());
  write(join(messy, 'cats', 'name with  spaces & (1).webp'), await noise(20, 20, 3).webp().toBuffer());
  write(join(messy, 'cats', 'UPPER.JPEG'), await noise(16, 16, 4).jpeg().toBuffer());
  write(join(messy, 'cats', 'no-extension'), await noise(16, 16, 5).png().toBuffer());
  write(join(messy, 'cats', 'anim.gif'), await noise(16, 16, 6).gif().toBuffer());
  write(join(messy, 'cats', 'scan.tif'), await solid(16, 16, [200, 30, 30]).toColourspace('cmyk').tiff().toBuffer());
  write(join(messy, 'cats', 'deep.png'), png16(4, 4, 3, Array.from({ length: 48 }, (_, i) => i * 1300)));
  write(join(messy, 'cats', 'alpha.png'), await noise(8, 8, 7).ensureAlpha(0.5).png().toBuffer());
  write(join(messy, 'cats', 'rotated.jpg'), await noise(16, 8, 8).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  write(join(messy, 'cats', 'old.bmp'), encodeBmp24(8, 8, new Uint8Array(8 * 8 * 3).fill(90)));
  write(join(messy, 'cats', 'nested', 'deeper', 'kitten.png'), await noise(12, 12, 9).png().toBuffer());
  for (let i = 0; i < 6; i++) write(join(messy, 'dogs', `dog-${i}.png`), await noise(24, 24, 100 + i).png().toBuffer());
  write(join(messy, 'dogs', 'gray.jpg'), await noise(24, 24, 200).toColourspace('b-w').jpeg().toBuffer());

  // Bad files: each must be skipped with its reason.
  const truncated = await noise(64, 64, 10).jpeg().toBuffer();
  write(join(messy, 'cats', 'truncated.jpg'), truncated.subarray(0, truncated.length >> 1));
  write(join(messy, 'cats', 'empty.jpg'), new Uint8Array(0));
  write(join(messy, 'cats', 'notes.txt'), 'not an image');
  write(join(messy, 'cats', 'corrupt.png'), Buffer.concat([(await noise(32, 32, 11).png().toBuffer()).subarray(0, 40), Buffer.alloc(300, 9)]));
  write(join(messy, 'cats', 'panorama.png'), bombPng(30_000, 30_000));
  write(join(messy, 'cats', '.DS_Store'), Buffer.alloc(64, 1));
  write(join(messy, 'cats', 'Thumbs.db'), Buffer.alloc(64, 1));
  write(join(messy, 'dogs', 'locked.png'), await noise(8, 8, 12).png().toBuffer());
  write(join(messy, '.git', 'config'), 'hidden folder');
  write(join(messy, 'README.md'), 'a file outside any class folder');
  symlinkSync('..', join(messy, 'cats', 'nested', 'loop'));
  symlinkSync('self', join(messy, 'dogs', 'self'));
  symlinkSync('does-not-exist.png', join(messy, 'dogs', 'broken.png'));
  mkdirSync(join(messy, 'empty-class'));
});

/** Tests run as root, where chmod 000 does not stop a read: the unreadable file is simulated. */
const readFailing = (suffix: string) => async (path: string) => {
  if (path.endsWith(suffix)) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  return readFileSync(path);
};

describe('importing a messy image folder', () => {
  let result: Awaited<ReturnType<typeof importDataset>>;
  const datasets = join(work, 'home', 'datasets');
  let before: string;

  beforeAll(async () => {
    before = snapshot(messy);
    // Every good image in train (no test split held out), so the counts below are the folder's.
    result = await importDataset({ path: messy, datasetsDir: datasets, size: 16, testFraction: 0, readFile: readFailing('locked.png') });
  });

  it('keeps every good image and reports every bad file with its reason', () => {
    expect(result.classes).toEqual(['cats', 'dogs']);
    expect(result.counts.train).toEqual({ cats: 12, dogs: 7 });
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toMatchObject({
      'cats/truncated.jpg': expect.stringMatching(/^corrupt or truncated jpeg/),
      'cats/empty.jpg': 'empty file (0 bytes)',
      'cats/notes.txt': expect.stringMatching(/^not an image/),
      'cats/corrupt.png': expect.stringMatching(/^corrupt or truncated png/),
      'cats/panorama.png': expect.stringMatching(/^too large: 30000×30000/),
      'cats/.DS_Store': 'hidden or system file',
      'cats/Thumbs.db': 'hidden or system file',
      'cats/nested/loop': expect.stringMatching(/^symlink loop/),
      'dogs/self': 'symlink loop',
      'dogs/broken.png': expect.stringMatching(/^broken symlink/),
      'dogs/locked.png': 'unreadable: permission denied',
      '.git': 'hidden or system file',
      'README.md': 'not inside a class folder',
    });
    expect(result.skipped).toHaveLength(13);
    expect(result.warnings).toContain('class "empty-class" has no usable images and was left out');
  });

  it('never modifies the source folder', () => {
    expect(snapshot(messy)).toBe(before);
  });

  it('writes a cache that loads back: colour, uint8 N×H×W×C, labels and statistics', async () => {
    const locations = { roots: [datasets] };
    const [info] = await listDatasets(locations);
    expect(info).toMatchObject({ id: 'messy', input: [16, 16, 3], trainCount: 19, valCount: 0, testCount: 0 });
    const loaded = await loadDataset(locations, 'messy');
    expect(loaded.train.images.length).toBe(19 * 16 * 16 * 3);
    expect(Array.from(loaded.train.labels.slice(0, 12))).toEqual(Array(12).fill(0));
    const detail = await getDataset(locations, 'messy');
    expect(detail.classCounts.train).toEqual([12, 7]);
    expect(detail.report?.skipped).toHaveLength(13);
    if (detail.manifest.format !== 'cache') throw new Error('expected a cache manifest');
    const expected = channelStats(loaded.train, 3);
    detail.manifest.normalization.mean.forEach((m, c) => expect(m).toBeCloseTo(expected.mean[c], 6));
    detail.manifest.normalization.std.forEach((s, c) => expect(s).toBeCloseTo(expected.std[c], 6));

    // The offset reader returns exactly the bytes of the in-memory split, in any order.
    const reader = await CacheSplitReader.open(detail.dir, 'train', detail.manifest);
    const indices = [18, 3, 4, 5, 0];
    const fromFile = new Uint8Array(indices.length * 768);
    const fromMemory = new Uint8Array(indices.length * 768);
    await reader.read(indices, fromFile);
    await memorySource(loaded.train).read(indices, fromMemory);
    await reader.close();
    expect(Buffer.from(fromFile).equals(Buffer.from(fromMemory))).toBe(true);
  });

  it('deletes the cache, and only the cache', async () => {
    const locations = { roots: [datasets] };
    await deleteDataset(locations, 'messy');
    expect(await listDatasets(locations)).toEqual([]);
    expect(snapshot(messy)).toBe(before);
  });
});

describe('channels and splits', () => {
  const root = join(work, 'gray');
  const splitRoot = join(work, 'split');
  beforeAll(async () => {
    for (const [c, cls] of ['zero', 'one', 'two'].entries()) {
      for (let i = 0; i < 10; i++) write(join(root, cls, `${i}.png`), await solid(8, 8, [c * 100, c * 100, c * 100]).toColourspace('b-w').png().toBuffer());
      for (const [split, n] of [['train', 5], ['val', 2], ['test', 3]] as const) {
        for (let i = 0; i < n; i++) write(join(splitRoot, split, cls, `${i}.png`), await noise(8, 8, c * 100 + i).png().toBuffer());
      }
    }
  });

  it('stores an all-grayscale folder as one channel, or three when asked', async () => {
    const datasetsDir = join(work, 'channels');
    const auto = await importDataset({ path: root, datasetsDir, size: 8 });
    expect(auto.input).toEqual([8, 8, 1]);
    const loaded = await loadDataset({ roots: [datasetsDir] }, auto.id);
    // Classes sort by name: one (100), two (200), zero (0).
    expect([loaded.train.images[0], loaded.train.images[10 * 64], loaded.train.images[20 * 64]]).toEqual([100, 200, 0]);
    const three = await importDataset({ path: root, datasetsDir, size: 8, channels: 3, name: 'gray as rgb' });
    expect(three).toMatchObject({ id: 'gray-as-rgb', input: [8, 8, 3] });
  });

  it('carves a stratified, seeded validation and test split', async () => {
    const datasetsDir = join(work, 'carved');
    const a = await importDataset({ path: root, datasetsDir, size: 8, validationFraction: 0.2, testFraction: 0.1, seed: 7 });
    expect(a.counts).toEqual({ train: { zero: 7, one: 7, two: 7 }, val: { zero: 2, one: 2, two: 2 }, test: { zero: 1, one: 1, two: 1 } });
    const b = await importDataset({ path: root, datasetsDir, size: 8, validationFraction: 0.2, testFraction: 0.1, seed: 7 });
    const la = await loadDataset({ roots: [datasetsDir] }, a.id);
    const lb = await loadDataset({ roots: [datasetsDir] }, b.id);
    expect(Buffer.from(la.val!.images).equals(Buffer.from(lb.val!.images))).toBe(true);

    const split = stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2], 0.4, 1);
    expect(split.held.map((i) => [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2][i]).sort()).toEqual([0, 0, 1, 1, 2]);
    expect(stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2], 0.4, 1)).toEqual(split);
    expect(stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2], 0.4, 2)).not.toEqual(split);
  });

  it('holds out a stratified, seeded test split by default when the folders have none, and none when asked for 0', async () => {
    const datasetsDir = join(work, 'default-test');
    const a = await importDataset({ path: root, datasetsDir, size: 8, seed: 3 });
    expect(DEFAULT_TEST_FRACTION).toBe(0.1);
    expect(a.counts).toEqual({ train: { zero: 9, one: 9, two: 9 }, val: {}, test: { zero: 1, one: 1, two: 1 } });
    const b = await importDataset({ path: root, datasetsDir, size: 8, seed: 3 });
    const [la, lb] = await Promise.all([a.id, b.id].map((id) => loadDataset({ roots: [datasetsDir] }, id)));
    expect(la.test.count).toBe(3);
    expect(Buffer.from(la.test.images).equals(Buffer.from(lb.test.images))).toBe(true);
    const none = await importDataset({ path: root, datasetsDir, size: 8, testFraction: 0 });
    expect(none.counts.test).toEqual({});
  });

  it('uses the train/val/test folders when the source has them', async () => {
    const result = await importDataset({ path: splitRoot, datasetsDir: join(work, 'given'), size: 8, validationFraction: 0.3 });
    expect(result.counts).toEqual({ train: { one: 5, two: 5, zero: 5 }, val: { one: 2, two: 2, zero: 2 }, test: { one: 3, two: 3, zero: 3 } });
    expect(result.classes).toEqual(['one', 'two', 'zero']);
    expect(result.warnings).toContain('the source has its own validation split; validationFraction was not used');
    const loaded = await loadDataset({ roots: [join(work, 'given')] }, result.id);
    expect(loaded.val?.count).toBe(6);
    expect(loaded.test.count).toBe(9);
  });
});

describe('failures and cancel leave nothing behind', () => {
  const hidden = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

  it('fails clearly when fewer than two classes have usable images', async () => {
    const root = join(work, 'one-class');
    write(join(root, 'only', 'a.png'), await noise(8, 8, 1).png().toBuffer());
    write(join(root, 'broken', 'b.png'), 'not really');
    const datasetsDir = join(work, 'failed');
    const attempt = importDataset({ path: root, datasetsDir, size: 8 });
    await expect(attempt).rejects.toBeInstanceOf(ImportError);
    await expect(attempt).rejects.toThrow(/at least two classes with usable images; found 2 class folders, 1 with usable images; skipped: 1 not an image .*\. Expected one folder of images per class/);
    // The folder's entries are not named: in browser mode the message goes to the client.
    await expect(attempt).rejects.not.toThrow(/\bbroken\b|\bonly\b/);
    expect(hidden(datasetsDir)).toEqual([]);
    await expect(importDataset({ path: join(work, 'nope'), datasetsDir, size: 8 })).rejects.toThrow(/no such file or folder/);
  });

  it('cancels mid-import and removes the temporary folder', async () => {
    const controller = new AbortController();
    const datasetsDir = join(work, 'cancelled');
    const options: ImportOptions = {
      path: messy,
      datasetsDir,
      size: 16,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'decoding' && p.done >= 2) controller.abort();
      },
    };
    await expect(importDataset(options)).rejects.toBeInstanceOf(ImportCancelledError);
    expect(hidden(datasetsDir)).toEqual([]);
  });
});
