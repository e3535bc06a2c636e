/**
 * The dataset cache: what an import writes once so that training never decodes again.
 *
 *   <home>/datasets/<id>/dataset.json        manifest (format "cache", version 1): classes, input
 *                                             H×W×C, per-split counts per class, normalization,
 *                                             import options, source
 *   <home>/datasets/<id>/report.json         the import report: skipped files with reasons, warnings
 *   <home>/datasets/<id>/<split>-images.u8   headerless uint8, N×H×W×C, channels last: image i
 *                                             starts at byte i·H·W·C, so any batch can be read by
 *                                             offset without loading the file (CacheSplitReader)
 *   <home>/datasets/<id>/<split>-labels.u8   one uint8 label per image
 *
 * Splits are train, val and test (empty files when a split has no images). An import writes into
 * a hidden temporary folder `.import-<pid>-<random>` next to the others and renames it at the end.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Normalization } from './batches';
import type { ResizeMode, Background } from './decode';
import type { SkippedFile, SplitName } from './sources';

export const CACHE_VERSION = 1;

export interface CacheSplitInfo {
  count: number;
  /** Images per class, indexed like `classes`. */
  classCounts: number[];
}

export interface CacheManifest {
  id: string;
  name: string;
  format: 'cache';
  cacheVersion: number;
  classes: string[];
  input: [number, number, number];
  source: string;
  createdAt: string;
  splits: Record<SplitName, CacheSplitInfo>;
  /** Per-channel mean and standard deviation of the train split, pixels scaled to [0, 1]. */
  normalization: Normalization;
  import: {
    sourcePath: string;
    sourceKind: 'folder' | 'idx' | 'cifar';
    catalog: string | null;
    resize: ResizeMode | 'native';
    background: Background;
    channels: 'auto' | 1 | 3;
    validationFraction: number;
    testFraction: number;
    seed: number;
    splitFolders: boolean;
  };
  /** Sum of the cache files' sizes. */
  bytes: number;
}

export interface ImportReportFile {
  skipped: SkippedFile[];
  warnings: string[];
  durationMs: number;
  scanned: number;
  imported: number;
}

export const imagesFile = (dir: string, split: SplitName) => join(dir, `${split}-images.u8`);
export const labelsFile = (dir: string, split: SplitName) => join(dir, `${split}-labels.u8`);

export async function readReport(dir: string): Promise<ImportReportFile | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as ImportReportFile;
  } catch {
    return null;
  }
}

/** Anything that hands out uint8 images by index: a split in memory or a cache file read by offset. */
export interface ImageSource {
  readonly count: number;
  /** Bytes per image (H·W·C). */
  readonly imageBytes: number;
  readonly labels: Uint8Array;
  /** Copies the images at `indices` into `out` (indices.length × imageBytes), in that order. */
  read(indices: ArrayLike<number>, out: Uint8Array): Promise<void> | void;
}

export function memorySource(split: { images: Uint8Array; labels: Uint8Array; count: number }): ImageSource {
  const imageBytes = split.count ? split.images.length / split.count : 0;
  return {
    count: split.count,
    imageBytes,
    labels: split.labels,
    read(indices, out) {
      for (let n = 0; n < indices.length; n++) {
        const start = indices[n] * imageBytes;
        out.set(split.images.subarray(start, start + imageBytes), n * imageBytes);
      }
    },
  };
}

/**
 * Reads images from a cache file by offset: runs of consecutive indices become one read, so a
 * sequential pass costs a few large reads and a shuffled batch one small read per image.
 */
export class CacheSplitReader implements ImageSource {
  private constructor(
    private readonly file: FileHandle,
    readonly count: number,
    readonly imageBytes: number,
    readonly labels: Uint8Array,
  ) {}

  static async open(dir: string, split: SplitName, manifest: Pick<CacheManifest, 'input' | 'splits'>): Promise<CacheSplitReader> {
    const imageBytes = manifest.input[0] * manifest.input[1] * manifest.input[2];
    const count = manifest.splits[split].count;
    const labels = new Uint8Array(await readFile(labelsFile(dir, split)));
    if (labels.length !== count) throw new Error(`${labelsFile(dir, split)}: ${labels.length} labels, the manifest says ${count}`);
    const file = await open(imagesFile(dir, split), 'r');
    const { size } = await file.stat();
    if (size !== count * imageBytes) {
      await file.close();
      throw new Error(`${imagesFile(dir, split)}: ${size} bytes, expected ${count} images × ${imageBytes} bytes`);
    }
    return new CacheSplitReader(file, count, imageBytes, labels);
  }

  async read(indices: ArrayLike<number>, out: Uint8Array): Promise<void> {
    const reads: Promise<unknown>[] = [];
    let n = 0;
    while (n < indices.length) {
      let run = 1;
      while (n + run < indices.length && indices[n + run] === indices[n] + run) run++;
      const index = indices[n];
      if (index < 0 || index >= this.count) throw new RangeError(`image ${index} is outside 0..${this.count - 1}`);
      reads.push(readFully(this.file, out, n * this.imageBytes, run * this.imageBytes, index * this.imageBytes));
      n += run;
    }
    await Promise.all(reads);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** `FileHandle.read` may return fewer bytes than asked; loop until the range is filled. */
export async function readFully(file: FileHandle, out: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(out, offset + done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of cache file at byte ${position + done}`);
    done += bytesRead;
  }
}
