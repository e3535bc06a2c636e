/**
 * Datasets the workbench can train on: folders with a `dataset.json`, either the bundled IDX
 * subset (format "idx") or an imported cache (format "cache", see cache.ts), in the home's
 * datasets folder or the app's resources.
 */
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetIdSchema, type DatasetInfo } from '../contract';
import type { Normalization } from './batches';
import { CacheSplitReader, imagesFile, labelsFile, readReport, type CacheManifest, type ImportReportFile } from './cache';
import { readIdxFile } from './idx';
import type { SplitName } from './sources';

export interface IdxManifest {
  id: string;
  name: string;
  format: 'idx';
  classes: string[];
  input: [number, number, number];
  source: string;
}

export type DatasetManifest = IdxManifest | CacheManifest;

/** One split held in memory as uint8 pixels (N×H×W×C) and uint8 labels. */
export interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface LoadedDataset {
  info: DatasetInfo;
  train: Split;
  test: Split;
  /** The dataset's own validation split (from the source's folders or carved at import), if any. */
  val?: Split;
}

export interface DatasetLocations {
  /** Folders whose sub-folders each hold one dataset with a dataset.json; the first is writable. */
  roots: string[];
}

export interface DatasetEntry {
  dir: string;
  manifest: DatasetManifest;
  /** False for the app's bundled datasets (read-only resources). */
  writable: boolean;
}

async function readManifest(dir: string): Promise<DatasetManifest | null> {
  const file = join(dir, 'dataset.json');
  if (!existsSync(file)) return null;
  const manifest = JSON.parse(await readFile(file, 'utf8')) as DatasetManifest;
  if (!DatasetIdSchema.safeParse(manifest.id).success) return null;
  if (manifest.format !== 'idx' && manifest.format !== 'cache') return null;
  return manifest;
}

export async function findDatasetDirs(locations: DatasetLocations): Promise<Map<string, DatasetEntry>> {
  const found = new Map<string, DatasetEntry>();
  for (const [index, root] of locations.roots.entries()) {
    if (!existsSync(root)) continue;
    for (const entry of await readdir(root, { withFileTypes: true })) {
      // Hidden folders are imports still being written (see import.ts).
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dir = join(root, entry.name);
      const manifest = await readManifest(dir).catch(() => null);
      if (manifest && !found.has(manifest.id)) found.set(manifest.id, { dir, manifest, writable: index === 0 });
    }
  }
  return found;
}

async function splitCount(dir: string, prefix: string): Promise<number> {
  // The label file's header holds the count; reading it whole is cheap (one byte per image).
  const labels = await readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  return labels.dims[0];
}

async function toInfo(entry: DatasetEntry): Promise<DatasetInfo> {
  const { manifest, dir } = entry;
  const base = { id: manifest.id, name: manifest.name, classes: manifest.classes, input: manifest.input, source: manifest.source, bundled: !entry.writable };
  if (manifest.format === 'cache') {
    return { ...base, trainCount: manifest.splits.train.count, testCount: manifest.splits.test.count, valCount: manifest.splits.val.count, createdAt: manifest.createdAt };
  }
  return { ...base, trainCount: await splitCount(dir, 'train'), testCount: await splitCount(dir, 't10k'), valCount: 0 };
}

export async function listDatasets(locations: DatasetLocations): Promise<DatasetInfo[]> {
  const infos: DatasetInfo[] = [];
  for (const entry of (await findDatasetDirs(locations)).values()) {
    infos.push(await toInfo(entry).catch(() => null as never));
  }
  return infos.filter(Boolean).sort((a, b) => a.name.localeCompare(b.name));
}

export class UnknownDatasetError extends Error {}

async function findDataset(locations: DatasetLocations, id: string): Promise<DatasetEntry> {
  const entry = (await findDatasetDirs(locations)).get(id);
  if (!entry) throw new UnknownDatasetError(`unknown dataset "${id}"`);
  return entry;
}

async function loadIdxSplit(dir: string, prefix: string, input: [number, number, number]): Promise<Split> {
  const images = await readIdxFile(join(dir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = await readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(`${dir}: ${prefix} has ${count} images but ${labels.dims[0]} labels`);
  }
  if (rows !== input[0] || cols !== input[1]) {
    throw new Error(`${dir}: ${prefix} images are ${rows}×${cols}, dataset.json says ${input[0]}×${input[1]}`);
  }
  return { images: images.data, labels: labels.data, count };
}

async function loadCacheSplit(dir: string, manifest: CacheManifest, split: SplitName): Promise<Split> {
  const [height, width, channels] = manifest.input;
  const count = manifest.splits[split].count;
  const images = new Uint8Array(await readFile(imagesFile(dir, split)));
  const labels = new Uint8Array(await readFile(labelsFile(dir, split)));
  if (images.length !== count * height * width * channels || labels.length !== count) {
    throw new Error(`${dir}: the ${split} cache files do not match dataset.json (${count} images of ${height}×${width}×${channels}); import the dataset again`);
  }
  return { images, labels, count };
}

/** Loads a dataset whole into memory (what the training worker uses). */
export async function loadDataset(locations: DatasetLocations, id: string): Promise<LoadedDataset> {
  const entry = await findDataset(locations, id);
  const { dir, manifest } = entry;
  if (manifest.format === 'cache') {
    const [train, val, test] = await Promise.all((['train', 'val', 'test'] as const).map((s) => loadCacheSplit(dir, manifest, s)));
    return { info: await toInfo(entry), train, test, ...(val.count > 0 ? { val } : {}) };
  }
  const train = await loadIdxSplit(dir, 'train', manifest.input);
  const test = await loadIdxSplit(dir, 't10k', manifest.input);
  return { info: await toInfo(entry), train, test };
}

export interface DatasetDetail {
  info: DatasetInfo;
  manifest: DatasetManifest;
  report: ImportReportFile | null;
  /** Images per class for each split, indexed like info.classes. */
  classCounts: Record<SplitName, number[]>;
  dir: string;
  writable: boolean;
}

export async function getDataset(locations: DatasetLocations, id: string): Promise<DatasetDetail> {
  const entry = await findDataset(locations, id);
  const { dir, manifest } = entry;
  let classCounts: Record<SplitName, number[]>;
  if (manifest.format === 'cache') {
    classCounts = { train: manifest.splits.train.classCounts, val: manifest.splits.val.classCounts, test: manifest.splits.test.classCounts };
  } else {
    const count = async (prefix: string) => {
      const labels = (await readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`))).data;
      const counts = manifest.classes.map(() => 0);
      for (const label of labels) counts[label]++;
      return counts;
    };
    classCounts = { train: await count('train'), val: manifest.classes.map(() => 0), test: await count('t10k') };
  }
  return { info: await toInfo(entry), manifest, report: manifest.format === 'cache' ? await readReport(dir) : null, classCounts, dir, writable: entry.writable };
}

export class ReadOnlyDatasetError extends Error {}

/** Deletes an imported dataset's cache (never a bundled one, never anything outside the cache). */
export async function deleteDataset(locations: DatasetLocations, id: string): Promise<void> {
  const entry = await findDataset(locations, id);
  if (!entry.writable) throw new ReadOnlyDatasetError(`"${id}" is bundled with the app and cannot be deleted`);
  // Rename first so that a half-deleted folder is never listed as a dataset.
  const doomed = join(locations.roots[0], `.deleting-${id}-${process.pid}`);
  await rename(entry.dir, doomed);
  await rm(doomed, { recursive: true, force: true });
}

/** Opens one split for reading by offset (datasets larger than memory); IDX datasets load whole. */
export async function openSplit(locations: DatasetLocations, id: string, split: SplitName): Promise<{ info: DatasetInfo; reader: CacheSplitReader | null; split: Split | null }> {
  const entry = await findDataset(locations, id);
  if (entry.manifest.format === 'cache') {
    return { info: await toInfo(entry), reader: await CacheSplitReader.open(entry.dir, split, entry.manifest), split: null };
  }
  const loaded = await loadDataset(locations, id);
  return { info: loaded.info, reader: null, split: split === 'test' ? loaded.test : split === 'val' ? (loaded.val ?? { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 }) : loaded.train };
}

/**
 * A split left in its cache file (datasets larger than the memory budget): only its labels are in
 * memory; images are read by offset (CacheSplitReader) as batches need them.
 */
export interface StreamedSplit {
  count: number;
  labels: Uint8Array;
  images?: undefined;
  stream: { dir: string; split: SplitName; input: [number, number, number] };
}

/** A split for training: in memory, or streamed from its cache file. */
export type TrainingSplit = Split | StreamedSplit;

export function isStreamed(split: TrainingSplit): split is StreamedSplit {
  return (split as StreamedSplit).stream !== undefined;
}

/**
 * What the training loop needs of a dataset: the train split, the dataset's own validation split
 * when it has one, and (for imported caches) the train split's statistics from the manifest. The
 * test split is not loaded (evaluation loads it itself). A LoadedDataset is one too.
 */
export interface TrainingDataset {
  info: DatasetInfo;
  train: TrainingSplit;
  val?: TrainingSplit;
  /** Per-channel statistics of the whole train split (cache manifests); used when the train split streams. */
  normalization?: Normalization;
}

/** Splits bigger than this (together) stream from the cache instead of being loaded: 1 GiB. */
export const DEFAULT_MEMORY_BUDGET = 1024 ** 3;

export interface OpenTrainingOptions {
  /** Bytes of images the loader may hold in memory; the train split is kept first, then val. */
  memoryBudget?: number;
}

const READ_CHUNK = 256 * 1024 ** 2;

/** Reads a whole file into shared memory (a worker thread can then read it without a copy). */
async function readShared(file: string, bytes: number): Promise<Uint8Array> {
  const out = new Uint8Array(new SharedArrayBuffer(Math.max(bytes, 1)), 0, bytes);
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size !== bytes) throw new Error(`${file}: ${size} bytes, expected ${bytes}; import the dataset again`);
    for (let done = 0; done < bytes; ) {
      const { bytesRead } = await handle.read(out, done, Math.min(READ_CHUNK, bytes - done), done);
      if (bytesRead === 0) throw new Error(`${file}: unexpected end at byte ${done}`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return out;
}

/**
 * Opens a dataset for training without loading more than the memory budget: each cache split
 * (train first, then val) is read into shared memory when it fits in what is left of the budget,
 * and otherwise streams from its cache file. IDX datasets (small, gzipped) load whole. The test
 * split is not read. `loadDataset` keeps loading everything, for the callers that need that.
 */
export async function openTrainingDataset(locations: DatasetLocations, id: string, options: OpenTrainingOptions = {}): Promise<TrainingDataset> {
  const entry = await findDataset(locations, id);
  const { dir, manifest } = entry;
  const info = await toInfo(entry);
  if (manifest.format !== 'cache') {
    return { info, train: await loadIdxSplit(dir, 'train', manifest.input) };
  }
  let budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const imageBytes = manifest.input[0] * manifest.input[1] * manifest.input[2];
  const openSplitFor = async (split: SplitName): Promise<TrainingSplit> => {
    const count = manifest.splits[split].count;
    const labels = new Uint8Array(await readFile(labelsFile(dir, split)));
    if (labels.length !== count) throw new Error(`${dir}: the ${split} labels do not match dataset.json (${labels.length} vs ${count}); import the dataset again`);
    const bytes = count * imageBytes;
    if (bytes > budget) return { count, labels, stream: { dir, split, input: manifest.input } };
    budget -= bytes;
    return { images: await readShared(imagesFile(dir, split), bytes), labels, count };
  };
  const train = await openSplitFor('train');
  const val = manifest.splits.val.count > 0 ? await openSplitFor('val') : undefined;
  return { info, train, ...(val ? { val } : {}), normalization: manifest.normalization };
}
