/**
 * Datasets the workbench can train on. For now: the IDX datasets described by a `dataset.json`
 * in the bundled resources folder (Fashion-MNIST subset) or in the home's datasets folder.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetIdSchema, type DatasetInfo } from '../contract';
import { readIdxFile } from './idx';

export interface DatasetManifest {
  id: string;
  name: string;
  format: 'idx';
  classes: string[];
  input: [number, number, number];
  source: string;
}

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
}

export interface DatasetLocations {
  /** Folders whose sub-folders each hold one dataset with a dataset.json. */
  roots: string[];
}

async function readManifest(dir: string): Promise<DatasetManifest | null> {
  const file = join(dir, 'dataset.json');
  if (!existsSync(file)) return null;
  const manifest = JSON.parse(await readFile(file, 'utf8')) as DatasetManifest;
  if (!DatasetIdSchema.safeParse(manifest.id).success) return null;
  return manifest;
}

async function findDatasetDirs(locations: DatasetLocations): Promise<Map<string, { dir: string; manifest: DatasetManifest }>> {
  const found = new Map<string, { dir: string; manifest: DatasetManifest }>();
  for (const root of locations.roots) {
    if (!existsSync(root)) continue;
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, entry.name);
      const manifest = await readManifest(dir).catch(() => null);
      if (manifest && !found.has(manifest.id)) found.set(manifest.id, { dir, manifest });
    }
  }
  return found;
}

async function splitCount(dir: string, prefix: string): Promise<number> {
  // The label file's header holds the count; reading it whole is cheap (one byte per image).
  const labels = await readIdxFile(join(dir, `${prefix}-labels-idx1-ubyte.gz`));
  return labels.dims[0];
}

function toInfo(manifest: DatasetManifest, trainCount: number, testCount: number): DatasetInfo {
  return {
    id: manifest.id,
    name: manifest.name,
    classes: manifest.classes,
    input: manifest.input,
    trainCount,
    testCount,
    source: manifest.source,
  };
}

export async function listDatasets(locations: DatasetLocations): Promise<DatasetInfo[]> {
  const dirs = await findDatasetDirs(locations);
  const infos: DatasetInfo[] = [];
  for (const { dir, manifest } of dirs.values()) {
    infos.push(toInfo(manifest, await splitCount(dir, 'train'), await splitCount(dir, 't10k')));
  }
  return infos;
}

export class UnknownDatasetError extends Error {}

async function loadSplit(dir: string, prefix: string, input: [number, number, number]): Promise<Split> {
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

export async function loadDataset(locations: DatasetLocations, id: string): Promise<LoadedDataset> {
  const entry = (await findDatasetDirs(locations)).get(id);
  if (!entry) throw new UnknownDatasetError(`unknown dataset "${id}"`);
  const { dir, manifest } = entry;
  const train = await loadSplit(dir, 'train', manifest.input);
  const test = await loadSplit(dir, 't10k', manifest.input);
  return { info: toInfo(manifest, train.count, test.count), train, test };
}
