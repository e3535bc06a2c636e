/**
 * Import: turns a source (image folder, IDX files, CIFAR archive) into a dataset cache (see
 * cache.ts). Decoded once, resized, uint8, with per-channel statistics; progress reported, cancel
 * through an AbortSignal, and a report of every skipped file with its reason. Atomic: everything
 * is written in a hidden temporary folder that is renamed at the very end, and removed when the
 * import is cancelled or fails. Nothing in the source folder is ever written.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { DatasetIdSchema, DEFAULT_TEST_FRACTION } from '../contract';
import { CACHE_VERSION, imagesFile, readFully, labelsFile, type CacheManifest, type ImportReportFile } from './cache';
import { catalogEntry } from './catalog-entries';
import { DEFAULT_MAX_PIXELS, decodeImage, SkipError, type Background, type ResizeMode } from './decode';
import { readSource, SourceError, SPLIT_NAMES, type Source, type ArraySource, type FileItem, type FolderSource, type SkippedFile, type SplitName } from './sources';
import { stratifiedSplit } from './splits';

export interface ImportProgress {
  phase: 'reading' | 'decoding' | 'writing';
  done: number;
  total: number;
  skipped: number;
}

export interface ImportOptions {
  /** The folder, IDX folder or CIFAR archive to import. */
  path: string;
  /** Where datasets live (`<home>/datasets`); the cache goes to `<datasetsDir>/<id>/`. */
  datasetsDir: string;
  /** Ids already taken outside datasetsDir (the bundled datasets). */
  takenIds?: Iterable<string>;
  name?: string;
  /** Cache resolution (square). Default: the native size for IDX/CIFAR, 64 for image folders. */
  size?: number;
  resize?: ResizeMode;
  channels?: 'auto' | 1 | 3;
  background?: Background;
  /** Held out from train when the source has no validation split (0 leaves it to each run). */
  validationFraction?: number;
  /** Held out from train when the source has no test split (default DEFAULT_TEST_FRACTION; 0 for none). */
  testFraction?: number;
  seed?: number;
  maxPixels?: number;
  maxFileBytes?: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?(progress: ImportProgress): void;
  /** Reads a source file (tests inject failures; nothing else should need it). */
  readFile?(path: string): Promise<Uint8Array>;
  /** Set by catalog imports: the entry's name, recorded in the manifest. */
  catalog?: string;
}

export interface ImportResult {
  id: string;
  name: string;
  classes: string[];
  input: [number, number, number];
  counts: Record<SplitName, Record<string, number>>;
  skipped: SkippedFile[];
  warnings: string[];
  source: string;
  durationMs: number;
}

export class ImportError extends Error {}
export class ImportCancelledError extends Error {
  constructor() {
    super('the import was cancelled; nothing was kept');
  }
}

export const DEFAULT_FOLDER_SIZE = 64;
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;
const MAX_CLASSES = 256;
const WRITE_CHUNK = 4 * 1024 * 1024;

/** Append-only file writer with a buffer: the pool and cache files are written in large chunks. */
class ChunkWriter {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  bytes = 0;
  private constructor(private readonly file: FileHandle) {}
  static async create(path: string): Promise<ChunkWriter> {
    return new ChunkWriter(await open(path, 'w'));
  }
  async write(data: Uint8Array): Promise<void> {
    this.chunks.push(data);
    this.buffered += data.length;
    this.bytes += data.length;
    if (this.buffered >= WRITE_CHUNK) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buffered) return;
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    await this.file.write(data);
  }
  async close(): Promise<void> {
    await this.flush();
    await this.file.sync();
    await this.file.close();
  }
}

/** Images of one source split at cache resolution, before channels are settled and splits carved. */
interface Pool {
  channels: 1 | 3;
  imageBytes: number;
  labels: number[];
  /** Reads `count` images from `start`, in order. */
  readRange(start: number, count: number): Promise<Uint8Array>;
}

function slug(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64);
  return base || 'dataset';
}

function chooseId(name: string, datasetsDir: string, taken: Set<string>): string {
  const base = slug(name);
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(id) && !existsSync(join(datasetsDir, id)) && DatasetIdSchema.safeParse(id).success) return id;
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable: permission denied';
  if (code === 'ELOOP') return 'symlink loop';
  if (code === 'ENOENT') return 'unreadable: the file disappeared during the import';
  if (code === 'EISDIR') return 'not a regular file';
  return `unreadable: ${code ?? (error as Error).message}`;
}

const formatMegabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function poolFromFolder(
  source: FolderSource,
  split: SplitName,
  dir: string,
  options: Required<Pick<ImportOptions, 'resize' | 'background' | 'maxPixels' | 'maxFileBytes' | 'concurrency'>> & ImportOptions,
  size: number,
  state: { done: number; total: number; skipped: SkippedFile[]; gray: boolean },
): Promise<Pool> {
  const items = source.files[split];
  const path = join(dir, `pool-${split}.u8`);
  const writer = await ChunkWriter.create(path);
  const labels: number[] = [];
  const imageBytes = size * size * 3;
  const readSourceFile = options.readFile ?? ((p: string) => readFile(p));
  const decodeOne = async (item: FileItem) => {
    try {
      const info = await stat(item.path);
      if (!info.isFile()) throw new SkipError('not a regular file');
      if (info.size === 0) throw new SkipError('empty file (0 bytes)');
      if (info.size > options.maxFileBytes) throw new SkipError(`too large: the file is ${formatMegabytes(info.size)} (limit ${formatMegabytes(options.maxFileBytes)})`);
      let bytes: Uint8Array;
      try {
        bytes = await readSourceFile(item.path);
      } catch (error) {
        throw new SkipError(describeReadError(error));
      }
      return await decodeImage(bytes, { height: size, width: size, resize: options.resize, background: options.background, maxPixels: options.maxPixels });
    } catch (error) {
      return { skip: error instanceof SkipError ? error.reason : describeReadError(error) };
    }
  };
  const window = options.concurrency * 2;
  try {
    for (let start = 0; start < items.length; start += window) {
      options.signal?.throwIfAborted();
      const batch = items.slice(start, start + window);
      const results = await Promise.all(batch.map(decodeOne));
      for (let i = 0; i < batch.length; i++) {
        const result = results[i];
        if ('skip' in result) {
          state.skipped.push({ path: batch[i].relativePath, reason: result.skip });
        } else {
          await writer.write(result.pixels);
          labels.push(batch[i].label);
          state.gray &&= result.gray;
        }
      }
      state.done += batch.length;
      options.onProgress?.({ phase: 'decoding', done: state.done, total: state.total, skipped: state.skipped.length });
    }
  } finally {
    await writer.close();
  }
  return {
    channels: 3,
    imageBytes,
    labels,
    async readRange(first, count) {
      const out = new Uint8Array(count * imageBytes);
      const file = await open(path, 'r');
      try {
        await readFully(file, out, 0, out.length, first * imageBytes);
      } finally {
        await file.close();
      }
      return out;
    },
  };
}

async function poolFromArrays(source: ArraySource, split: SplitName, size: number | null, options: ImportOptions): Promise<Pool | null> {
  const data = source.splits[split];
  if (!data) return null;
  const native = size === null || (size === source.height && size === source.width);
  const inBytes = source.height * source.width * source.channels;
  const labels = Array.from(data.labels);
  if (native) {
    return { channels: source.channels, imageBytes: inBytes, labels, readRange: async (start, count) => data.images.subarray(start * inBytes, (start + count) * inBytes) };
  }
  const target = size!;
  const imageBytes = target * target * source.channels;
  const resized = new Uint8Array(data.count * imageBytes);
  const fit = options.resize === 'crop' ? 'cover' : options.resize === 'pad' ? 'contain' : 'fill';
  const background = options.background === 'black' ? '#000000' : '#ffffff';
  const concurrency = options.concurrency ?? 4;
  for (let start = 0; start < data.count; start += concurrency * 16) {
    options.signal?.throwIfAborted();
    const end = Math.min(data.count, start + concurrency * 16);
    await Promise.all(
      Array.from({ length: end - start }, async (_, k) => {
        const i = start + k;
        const { data: pixels } = await sharp(data.images.subarray(i * inBytes, (i + 1) * inBytes), { raw: { width: source.width, height: source.height, channels: source.channels } })
          .resize(target, target, { fit, background })
          .raw()
          .toBuffer({ resolveWithObject: true });
        resized.set(pixels.subarray(0, imageBytes), i * imageBytes);
      }),
    );
    options.onProgress?.({ phase: 'decoding', done: end, total: data.count, skipped: 0 });
  }
  return { channels: source.channels, imageBytes, labels, readRange: async (first, count) => resized.subarray(first * imageBytes, (first + count) * imageBytes) };
}

/** Copies `from` (pool channels) into `to` (cache channels): replicate gray, or take luminance. */
function convertChannels(from: Uint8Array, fromChannels: number, to: Uint8Array, toChannels: number): void {
  if (fromChannels === toChannels) {
    to.set(from);
  } else if (fromChannels === 1) {
    for (let p = 0; p < from.length; p++) to[p * 3] = to[p * 3 + 1] = to[p * 3 + 2] = from[p];
  } else {
    for (let p = 0; p < to.length; p++) to[p] = Math.round(0.299 * from[p * 3] + 0.587 * from[p * 3 + 1] + 0.114 * from[p * 3 + 2]);
  }
}

/** Imports a dataset into the cache; see the module comment. */
export async function importDataset(options: ImportOptions): Promise<ImportResult> {
  const began = performance.now();
  const resize = options.resize ?? 'squash';
  const background = options.background ?? 'white';
  const channelsWanted = options.channels ?? 'auto';
  const validationFraction = options.validationFraction ?? 0;
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  const seed = options.seed ?? 42;
  if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1)) {
    throw new ImportError(`validation and test fractions must be at least 0 and add up to less than 1; got ${validationFraction} and ${testFraction}`);
  }
  const settings = {
    ...options,
    resize,
    background,
    maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    concurrency: options.concurrency ?? 4,
  };
  options.onProgress?.({ phase: 'reading', done: 0, total: 0, skipped: 0 });
  let source: Source;
  try {
    source = await readSource(options.path, options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw new ImportCancelledError();
    if (error instanceof SourceError) throw new ImportError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportError(`${options.path}: cannot read (${code ?? (error as Error).message})`);
  }
  const catalog = options.catalog ? catalogEntry(options.catalog) : undefined;
  if (catalog && source.kind !== 'folder' && catalog.classes.length === source.classes.length) source = { ...source, classes: catalog.classes, catalog };
  if (source.classes.length > MAX_CLASSES) throw new ImportError(`${options.path}: ${source.classes.length} classes; at most ${MAX_CLASSES} are supported`);
  const size = options.size ?? (source.kind === 'folder' ? DEFAULT_FOLDER_SIZE : null);
  if (size !== null && !(Number.isInteger(size) && size >= 8 && size <= 1024)) throw new ImportError(`size must be a whole number from 8 to 1024; got ${size}`);

  await mkdir(options.datasetsDir, { recursive: true });
  await removeStaleImports(options.datasetsDir);
  const temp = await mkdtemp(join(options.datasetsDir, `.import-${process.pid}-`));
  let finished = false;
  try {
    const skipped: SkippedFile[] = source.kind === 'folder' ? [...source.skipped] : [];
    const warnings: string[] = [];
    const pools: Partial<Record<SplitName, Pool>> = {};
    let gray = source.kind === 'folder' ? true : source.channels === 1;
    let scanned = 0;
    if (source.kind === 'folder') {
      const total = SPLIT_NAMES.reduce((n, s) => n + source.files[s].length, 0);
      scanned = total + skipped.length;
      const state = { done: 0, total, skipped, gray: true };
      for (const split of SPLIT_NAMES) {
        if (source.files[split].length) pools[split] = await poolFromFolder(source, split, temp, settings, size!, state);
      }
      gray = state.gray;
    } else {
      for (const split of SPLIT_NAMES) {
        const pool = await poolFromArrays(source, split, size, settings);
        if (pool) pools[split] = pool;
        scanned += pool?.labels.length ?? 0;
      }
    }
    options.signal?.throwIfAborted();

    // Classes need usable images; the import fails only when fewer than two have any.
    const usable = source.classes.map(() => 0);
    for (const pool of Object.values(pools)) for (const label of pool.labels) usable[label]++;
    const kept = source.classes.filter((_, c) => usable[c] > 0);
    if (kept.length < 2) {
      // Counts, never the names: in browser mode the client must not learn a folder's contents.
      const reasons = summarizeReasons(skipped);
      throw new ImportError(
        `${options.path}: a dataset needs at least two classes with usable images; found ${source.classes.length} class ${source.classes.length === 1 ? 'folder' : 'folders'}, ${kept.length} with usable images${reasons ? `; skipped: ${reasons}` : ''}. Expected one folder of images per class (optionally inside train/val/test folders), IDX files or CIFAR batches`,
      );
    }
    const remap = new Int16Array(source.classes.length).fill(-1);
    source.classes.forEach((name, c) => {
      if (usable[c] > 0) remap[c] = kept.indexOf(name);
      else warnings.push(`class "${name}" has no usable images and was left out`);
    });

    // Which cache split each pool image goes to: the source's own splits, then seeded carving.
    const destination: Partial<Record<SplitName, Uint8Array>> = {};
    const SPLIT_CODE: Record<SplitName, number> = { train: 0, val: 1, test: 2 };
    for (const split of SPLIT_NAMES) {
      const pool = pools[split];
      if (pool) destination[split] = new Uint8Array(pool.labels.length).fill(SPLIT_CODE[split]);
    }
    const trainPool = pools.train;
    if (trainPool) {
      const carve = (fraction: number, code: number, salt: number) => {
        const candidates = trainPool.labels.map((_, i) => i).filter((i) => destination.train![i] === 0);
        const { held } = stratifiedSplit(candidates.map((i) => trainPool.labels[i]), fraction, seed + salt);
        for (const k of held) destination.train![candidates[k]] = code;
      };
      if (!pools.test && testFraction > 0) carve(testFraction, 2, 1);
      if (!pools.val && validationFraction > 0) carve(validationFraction / (1 - (pools.test ? 0 : testFraction)), 1, 2);
    }
    if (pools.val && validationFraction > 0) warnings.push('the source has its own validation split; validationFraction was not used');

    const channels: 1 | 3 = channelsWanted === 'auto' ? (gray ? 1 : 3) : channelsWanted;
    const side = size ?? (source.kind === 'folder' ? DEFAULT_FOLDER_SIZE : source.height);
    const sideW = size ?? (source.kind === 'folder' ? DEFAULT_FOLDER_SIZE : source.width);
    const imageBytes = side * sideW * channels;
    const writers = {} as Record<SplitName, { images: ChunkWriter; labels: number[]; classCounts: number[] }>;
    for (const split of SPLIT_NAMES) writers[split] = { images: await ChunkWriter.create(imagesFile(temp, split)), labels: [], classCounts: kept.map(() => 0) };
    const sum = new Float64Array(channels);
    const sumSquares = new Float64Array(channels);
    const total = Object.values(pools).reduce((n, p) => n + p.labels.length, 0);
    let written = 0;
    const splitsByCode: SplitName[] = ['train', 'val', 'test'];
    for (const split of SPLIT_NAMES) {
      const pool = pools[split];
      if (!pool) continue;
      const perChunk = Math.max(1, Math.floor(WRITE_CHUNK / pool.imageBytes));
      for (let start = 0; start < pool.labels.length; start += perChunk) {
        options.signal?.throwIfAborted();
        const count = Math.min(perChunk, pool.labels.length - start);
        const chunk = await pool.readRange(start, count);
        for (let k = 0; k < count; k++) {
          const i = start + k;
          const label = remap[pool.labels[i]];
          const target = writers[splitsByCode[destination[split]![i]]];
          const image = new Uint8Array(imageBytes);
          convertChannels(chunk.subarray(k * pool.imageBytes, (k + 1) * pool.imageBytes), pool.channels, image, channels);
          if (target === writers.train) {
            for (let p = 0; p < imageBytes; p++) {
              const v = image[p];
              sum[p % channels] += v;
              sumSquares[p % channels] += v * v;
            }
          }
          await target.images.write(image);
          target.labels.push(label);
          target.classCounts[label]++;
        }
        written += count;
        options.onProgress?.({ phase: 'writing', done: written, total, skipped: skipped.length });
      }
    }
    let bytes = 0;
    for (const split of SPLIT_NAMES) {
      await writers[split].images.close();
      const labels = Uint8Array.from(writers[split].labels);
      const file = await open(labelsFile(temp, split), 'w');
      await file.write(labels);
      await file.sync();
      await file.close();
      bytes += writers[split].images.bytes + labels.length;
    }
    for (const split of SPLIT_NAMES) await rm(join(temp, `pool-${split}.u8`), { force: true });

    const trainCount = writers.train.labels.length;
    const pixelsPerChannel = (trainCount * imageBytes) / channels;
    const mean = Array.from(sum, (s) => (pixelsPerChannel ? s / pixelsPerChannel / 255 : 0));
    const std = Array.from(sumSquares, (s, c) => (pixelsPerChannel ? Math.sqrt(Math.max(s / pixelsPerChannel / 65025 - mean[c] ** 2, 1e-12)) : 1));
    if (trainCount === 0) warnings.push('the train split is empty');

    const name = options.name?.trim() || (source.kind === 'folder' ? basename(source.root) : (source.catalog?.title ?? basename(source.root)));
    const taken = new Set(options.takenIds ?? []);
    const id = chooseId(name, options.datasetsDir, taken);
    const description =
      source.kind === 'folder'
        ? `image folder ${source.root}${source.splitFolders ? ' (with its own split folders)' : ''}`
        : source.description;
    const manifest: CacheManifest = {
      id,
      name,
      format: 'cache',
      cacheVersion: CACHE_VERSION,
      classes: kept,
      input: [side, sideW, channels],
      source: description,
      createdAt: new Date().toISOString(),
      splits: Object.fromEntries(SPLIT_NAMES.map((s) => [s, { count: writers[s].labels.length, classCounts: writers[s].classCounts }])) as CacheManifest['splits'],
      normalization: { mean, std },
      import: {
        sourcePath: options.path,
        sourceKind: source.kind,
        catalog: options.catalog ?? (source.kind !== 'folder' ? (source.catalog?.name ?? null) : null),
        resize: size === null ? 'native' : resize,
        background,
        channels: channelsWanted,
        validationFraction,
        testFraction,
        seed,
        splitFolders: source.kind === 'folder' ? source.splitFolders : false,
      },
      bytes,
    };
    const durationMs = performance.now() - began;
    const report: ImportReportFile = { skipped, warnings, durationMs, scanned, imported: total };
    await writeJson(join(temp, 'report.json'), report);
    await writeJson(join(temp, 'dataset.json'), manifest);
    options.signal?.throwIfAborted();
    await rename(temp, join(options.datasetsDir, id));
    finished = true;
    const counts = Object.fromEntries(
      SPLIT_NAMES.map((s) => [s, Object.fromEntries(kept.map((c, k) => [c, writers[s].classCounts[k]]).filter(([, n]) => (n as number) > 0))]),
    ) as ImportResult['counts'];
    return { id, name, classes: kept, input: manifest.input, counts, skipped, warnings, source: description, durationMs };
  } catch (error) {
    if (options.signal?.aborted) throw new ImportCancelledError();
    throw error;
  } finally {
    if (!finished) await rm(temp, { recursive: true, force: true });
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const file = await open(path, 'w');
  await file.write(`${JSON.stringify(value, null, 2)}\n`);
  await file.sync();
  await file.close();
}

function summarizeReasons(skipped: SkippedFile[]): string {
  const counts = new Map<string, number>();
  for (const { reason } of skipped) {
    const key = reason.split(':')[0];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}

/** Removes `.import-<pid>-*` folders left by an import whose process is gone (a crash). */
export async function removeStaleImports(datasetsDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(datasetsDir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^\.import-(\d+)-/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (error) {
        alive = (error as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) await rm(join(datasetsDir, name), { recursive: true, force: true });
  }
}
