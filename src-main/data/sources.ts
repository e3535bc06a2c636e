/**
 * Where images come from: an image folder (one subfolder per class, optionally below
 * train/val/test folders), IDX files (MNIST, Fashion-MNIST) and the CIFAR-10/100 binary archives,
 * extracted or not. `detectSource` looks at a path and says which one it is.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { CATALOG, type CatalogEntry } from './catalog-entries';
import { readIdxFile } from './idx';
import { readTarGzFile } from './tar';

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export interface SkippedFile {
  /** Relative to the imported folder, with forward slashes. */
  path: string;
  reason: string;
}

export interface FileItem {
  path: string;
  relativePath: string;
  label: number;
}

export interface FolderSource {
  kind: 'folder';
  root: string;
  classes: string[];
  /** True when the folder has train/val/test folders above the class folders. */
  splitFolders: boolean;
  files: Record<SplitName, FileItem[]>;
  skipped: SkippedFile[];
}

/** Pixels already decoded at their native size (IDX, CIFAR): count × height × width × channels. */
export interface ArraySplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface ArraySource {
  kind: 'idx' | 'cifar';
  root: string;
  classes: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  splits: Partial<Record<SplitName, ArraySplit>>;
  /** The catalog entry the files match (by checksum or by name), if any. */
  catalog: CatalogEntry | null;
  description: string;
}

export type Source = FolderSource | ArraySource;

export class SourceError extends Error {}

const HIDDEN_OR_SYSTEM = /^(\..*|thumbs\.db|desktop\.ini|__macosx|\$recycle\.bin|system volume information)$/i;

const SPLIT_FOLDER: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

const toReportPath = (root: string, path: string) => relative(root, path).split(sep).join('/') || basename(path);

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Entry {
  path: string;
  name: string;
  kind: 'file' | 'dir';
}

/** Lists a folder's entries, following symlinks, and says why the others are skipped. */
async function listEntries(root: string, dir: string, skipped: SkippedFile[]): Promise<Entry[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort(byCodePoint);
  } catch (error) {
    skipped.push({ path: toReportPath(root, dir), reason: `unreadable folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
    return [];
  }
  const entries: Entry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (HIDDEN_OR_SYSTEM.test(name)) {
      skipped.push({ path: toReportPath(root, path), reason: 'hidden or system file' });
      continue;
    }
    let info;
    try {
      const link = await lstat(path);
      info = link.isSymbolicLink() ? await stat(path) : link;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ELOOP' ? 'symlink loop' : code === 'ENOENT' ? 'broken symlink (its target does not exist)' : `unreadable: ${code ?? (error as Error).message}`;
      skipped.push({ path: toReportPath(root, path), reason });
      continue;
    }
    if (info.isDirectory()) entries.push({ path, name, kind: 'dir' });
    else if (info.isFile()) entries.push({ path, name, kind: 'file' });
    else skipped.push({ path: toReportPath(root, path), reason: 'not a regular file (device, socket or pipe)' });
  }
  return entries;
}

/** All files below a class folder (nested folders belong to the class); symlink loops are cut. */
async function collectFiles(root: string, dir: string, visited: Set<string>, skipped: SkippedFile[], out: string[]): Promise<void> {
  for (const entry of await listEntries(root, dir, skipped)) {
    if (entry.kind === 'file') {
      out.push(entry.path);
      continue;
    }
    const real = await realpath(entry.path).catch(() => null);
    if (!real || visited.has(real)) {
      skipped.push({ path: toReportPath(root, entry.path), reason: 'symlink loop (folder already visited)' });
      continue;
    }
    visited.add(real);
    await collectFiles(root, entry.path, visited, skipped, out);
  }
}

export async function scanImageFolder(root: string): Promise<FolderSource> {
  const skipped: SkippedFile[] = [];
  const visited = new Set<string>([await realpath(root)]);
  const top = await listEntries(root, root, skipped);
  const topDirs = top.filter((e) => e.kind === 'dir');
  for (const file of top.filter((e) => e.kind === 'file')) {
    skipped.push({ path: toReportPath(root, file.path), reason: 'not inside a class folder' });
  }
  const splitFolders = topDirs.length > 0 && topDirs.every((d) => SPLIT_FOLDER[d.name.toLowerCase()]) && topDirs.some((d) => SPLIT_FOLDER[d.name.toLowerCase()] === 'train');
  const classFiles = new Map<string, { split: SplitName; paths: string[] }[]>();
  const splitDirs: { split: SplitName; dir: string }[] = splitFolders
    ? topDirs.map((d) => ({ split: SPLIT_FOLDER[d.name.toLowerCase()], dir: d.path }))
    : [{ split: 'train', dir: root }];
  for (const { split, dir } of splitDirs) {
    const classDirs = dir === root ? topDirs : await listEntries(root, dir, skipped);
    for (const entry of classDirs) {
      if (entry.kind === 'file') {
        skipped.push({ path: toReportPath(root, entry.path), reason: 'not inside a class folder' });
        continue;
      }
      const real = await realpath(entry.path).catch(() => entry.path);
      if (visited.has(real)) {
        skipped.push({ path: toReportPath(root, entry.path), reason: 'symlink loop (folder already visited)' });
        continue;
      }
      visited.add(real);
      const paths: string[] = [];
      await collectFiles(root, entry.path, visited, skipped, paths);
      const list = classFiles.get(entry.name) ?? [];
      list.push({ split, paths });
      classFiles.set(entry.name, list);
    }
  }
  const classes = [...classFiles.keys()].sort(byCodePoint);
  const files: Record<SplitName, FileItem[]> = { train: [], val: [], test: [] };
  classes.forEach((name, label) => {
    for (const { split, paths } of classFiles.get(name)!) {
      for (const path of paths) files[split].push({ path, relativePath: toReportPath(root, path), label });
    }
  });
  return { kind: 'folder', root, classes, splitFolders, files, skipped };
}

const IDX_NAME = /(train|t10k|test)[-_.]?(images|labels)[-_.]idx[13][-_.]ubyte(\.gz)?$/i;

async function md5(path: string): Promise<string> {
  return createHash('md5').update(await readFile(path)).digest('hex');
}

function matchCatalog(root: string, checksums: string[]): CatalogEntry | null {
  const byChecksum = CATALOG.find((entry) => entry.files.some((f) => checksums.includes(f.md5)));
  if (byChecksum) return byChecksum;
  const lower = root.toLowerCase();
  if (lower.includes('fashion')) return CATALOG.find((e) => e.name === 'fashion-mnist') ?? null;
  return null;
}

export async function readIdxSource(root: string, signal?: AbortSignal): Promise<ArraySource> {
  const names = (await readdir(root)).filter((n) => IDX_NAME.test(n)).sort(byCodePoint);
  const find = (split: 'train' | 'test', kind: 'images' | 'labels') =>
    names.find((n) => {
      const m = IDX_NAME.exec(n)!;
      const isTrain = m[1].toLowerCase() === 'train';
      return (split === 'train' ? isTrain : !isTrain) && m[2].toLowerCase() === kind;
    });
  const splits: Partial<Record<SplitName, ArraySplit>> = {};
  const checksums: string[] = [];
  let shape: [number, number] | null = null;
  let classCount = 0;
  for (const split of ['train', 'test'] as const) {
    const imagesName = find(split, 'images');
    const labelsName = find(split, 'labels');
    if (!imagesName && !labelsName) continue;
    if (!imagesName || !labelsName) throw new SourceError(`${root}: found ${imagesName ?? labelsName} but not its ${imagesName ? 'labels' : 'images'} file`);
    signal?.throwIfAborted();
    const images = await readIdxFile(join(root, imagesName));
    const labels = await readIdxFile(join(root, labelsName));
    checksums.push(await md5(join(root, imagesName)), await md5(join(root, labelsName)));
    if (images.dims.length !== 3) throw new SourceError(`${imagesName}: expected N×rows×columns images, found dimensions ${images.dims.join('×')}`);
    if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
      throw new SourceError(`${root}: ${imagesName} has ${images.dims[0]} images but ${labelsName} has ${labels.dims.join('×')} labels`);
    }
    const [count, rows, cols] = images.dims;
    if (shape && (shape[0] !== rows || shape[1] !== cols)) throw new SourceError(`${root}: train and test images differ in size`);
    shape = [rows, cols];
    for (const label of labels.data) classCount = Math.max(classCount, label + 1);
    splits[split] = { images: images.data, labels: labels.data, count };
  }
  if (!shape) throw new SourceError(`${root}: no IDX files found (expected names like train-images-idx3-ubyte.gz)`);
  const catalog = matchCatalog(root, checksums);
  const classes = catalog && catalog.classes.length === classCount ? catalog.classes : Array.from({ length: classCount }, (_, i) => String(i));
  return {
    kind: 'idx',
    root,
    classes,
    height: shape[0],
    width: shape[1],
    channels: 1,
    splits,
    catalog,
    description: `${catalog?.title ?? 'IDX files'} from ${root}`,
  };
}

const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_SIDE = 32;
const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE * 3;

/** CIFAR records (label byte(s) + 3072 planar RGB bytes) → interleaved HWC pixels and labels. */
export function parseCifarRecords(data: Uint8Array, labelBytes: 1 | 2, source: string): ArraySplit {
  const recordBytes = labelBytes + CIFAR_PIXELS;
  if (data.length % recordBytes !== 0) throw new SourceError(`${source}: ${data.length} bytes is not a whole number of ${recordBytes}-byte CIFAR records`);
  const count = data.length / recordBytes;
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  for (let n = 0; n < count; n++) {
    const record = n * recordBytes;
    labels[n] = data[record + labelBytes - 1];
    const pixels = record + labelBytes;
    const out = n * CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      images[out + p * 3] = data[pixels + p];
      images[out + p * 3 + 1] = data[pixels + plane + p];
      images[out + p * 3 + 2] = data[pixels + 2 * plane + p];
    }
  }
  return { images, labels, count };
}

function concatSplits(parts: ArraySplit[]): ArraySplit {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const part of parts) {
    images.set(part.images, at * CIFAR_PIXELS);
    labels.set(part.labels, at);
    at += part.count;
  }
  return { images, labels, count };
}

const CIFAR_FILE = /(?:^|\/)(data_batch_\d+\.bin|test_batch\.bin|train\.bin|test\.bin|batches\.meta\.txt|fine_label_names\.txt)$/;

function cifarFromFiles(root: string, files: Map<string, Buffer>): ArraySource {
  const byBase = new Map<string, Buffer>();
  for (const [name, data] of files) byBase.set(name.split('/').pop()!, data);
  const names = (text: Buffer | undefined) => text?.toString('utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  if (byBase.has('data_batch_1.bin') || byBase.has('test_batch.bin')) {
    const batches = [...byBase.keys()].filter((n) => /^data_batch_\d+\.bin$/.test(n)).sort((a, b) => parseInt(a.slice(11)) - parseInt(b.slice(11)));
    const train = concatSplits(batches.map((n) => parseCifarRecords(byBase.get(n)!, 1, n)));
    const test = byBase.has('test_batch.bin') ? parseCifarRecords(byBase.get('test_batch.bin')!, 1, 'test_batch.bin') : undefined;
    const classes = names(byBase.get('batches.meta.txt')) ?? CIFAR10_CLASSES;
    return cifarSource(root, classes.length === 10 ? classes : CIFAR10_CLASSES, { train, test }, 'cifar-10');
  }
  if (byBase.has('train.bin') || byBase.has('test.bin')) {
    const train = byBase.has('train.bin') ? parseCifarRecords(byBase.get('train.bin')!, 2, 'train.bin') : undefined;
    const test = byBase.has('test.bin') ? parseCifarRecords(byBase.get('test.bin')!, 2, 'test.bin') : undefined;
    const fine = names(byBase.get('fine_label_names.txt'));
    const classes = fine?.length === 100 ? fine : Array.from({ length: 100 }, (_, i) => `class-${i}`);
    return cifarSource(root, classes, { train, test }, 'cifar-100');
  }
  throw new SourceError(`${root}: no CIFAR binary batches found (data_batch_N.bin / test_batch.bin or train.bin / test.bin)`);
}

function cifarSource(root: string, classes: string[], splits: Partial<Record<SplitName, ArraySplit>>, name: string): ArraySource {
  const catalog = CATALOG.find((e) => e.name === name) ?? null;
  return { kind: 'cifar', root, classes, height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3, splits, catalog, description: `${catalog?.title ?? name} from ${root}` };
}

export async function readCifarSource(path: string, signal?: AbortSignal): Promise<ArraySource> {
  const info = await stat(path);
  if (info.isFile()) {
    const files = await readTarGzFile(path, (name) => CIFAR_FILE.test(name), signal).catch((error: Error) => {
      throw new SourceError(`${path}: ${error.message}`);
    });
    return cifarFromFiles(path, files);
  }
  const files = new Map<string, Buffer>();
  const dirs = [path, ...(await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(path, e.name))];
  for (const dir of dirs) {
    for (const name of await readdir(dir)) {
      if (CIFAR_FILE.test(name)) files.set(`${dir}/${name}`, await readFile(join(dir, name)));
    }
  }
  return cifarFromFiles(path, files);
}

export type DetectedKind = 'folder' | 'idx' | 'cifar';

/** Says what a path holds, looking at names only (cheap); the reader then checks the content. */
export async function detectSource(path: string): Promise<{ kind: DetectedKind; path: string }> {
  if (!existsSync(path)) throw new SourceError(`${path}: no such file or folder`);
  const info = await stat(path);
  if (info.isFile()) {
    if (/\.(tar\.gz|tgz|tar)$/i.test(path)) return { kind: 'cifar', path };
    throw new SourceError(`${path}: a single file is not a dataset; choose a folder of class folders, IDX files or a CIFAR archive`);
  }
  const names = await readdir(path);
  if (names.some((n) => IDX_NAME.test(n))) return { kind: 'idx', path };
  if (names.some((n) => /^(data_batch_\d+|test_batch|train|test)\.bin$/.test(n))) return { kind: 'cifar', path };
  const nested = names.find((n) => /^cifar-(10-batches-bin|100-binary)$/.test(n));
  if (nested) return { kind: 'cifar', path };
  const archive = names.find((n) => /^cifar-(10|100)-binary\.tar\.gz$/.test(n));
  if (archive) return { kind: 'cifar', path: join(path, archive) };
  return { kind: 'folder', path };
}

export async function readSource(path: string, signal?: AbortSignal): Promise<Source> {
  const detected = await detectSource(path);
  if (detected.kind === 'idx') return readIdxSource(detected.path, signal);
  if (detected.kind === 'cifar') return readCifarSource(detected.path, signal);
  return scanImageFolder(detected.path);
}
