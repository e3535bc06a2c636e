/**
 * Prepares batches in request order from named image sources (a split in memory or a cache file
 * read by offset). The same engine runs in the training thread (the fallback pipeline) and inside
 * the batch worker thread (batch-worker.ts), so both produce identical batches: reads start as
 * soon as a batch is requested (file reads are real asynchronous I/O), while augmentation and
 * normalisation run one batch after the other, in request order, drawing from one seeded stream.
 */
import { CacheSplitReader, memorySource, type CacheManifest, type ImageSource } from './cache';
import { finishBatch, labelsOf, type BatchSpec, type PreparedBatch } from './batch-prep';
import { Mulberry32 } from './random';
import type { SplitName } from './sources';

/** How a batch source travels to a worker thread: shared memory, or the cache file to stream from. */
export type SourceSpec =
  | { kind: 'memory'; images: Uint8Array; labels: Uint8Array; count: number }
  | { kind: 'file'; dir: string; split: SplitName; input: [number, number, number]; count: number };

export interface OpenedSource {
  source: ImageSource;
  close(): Promise<void>;
}

export async function openSource(spec: SourceSpec): Promise<OpenedSource> {
  if (spec.kind === 'memory') return { source: memorySource(spec), close: async () => {} };
  const splits = { [spec.split]: { count: spec.count, classCounts: [] } } as unknown as CacheManifest['splits'];
  const reader = await CacheSplitReader.open(spec.dir, spec.split, { input: spec.input, splits });
  return { source: reader, close: () => reader.close() };
}

const ignore = () => {};

export class BatchEngine {
  private readonly random: Mulberry32;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly imageBytes: number;

  constructor(
    private readonly sources: Record<string, ImageSource>,
    private readonly spec: BatchSpec,
    augmentState: number,
  ) {
    this.random = new Mulberry32(augmentState);
    this.imageBytes = spec.shape[0] * spec.shape[1] * spec.shape[2];
  }

  /** The batch of `indices` from `source`; augmented (drawing from the stream) when `augment`. */
  run(sourceName: string, indices: Uint32Array, augment: boolean): Promise<PreparedBatch & { ms: number }> {
    const source = this.sources[sourceName];
    if (!source) return Promise.reject(new Error(`no batch source "${sourceName}"`));
    const raw = new Uint8Array(indices.length * this.imageBytes);
    // The batch's cost: its read (I/O, possibly overlapping other work) plus its CPU work.
    let readMs = 0;
    const readBegan = performance.now();
    let reading: Promise<void> | void;
    try {
      reading = source.read(indices, raw);
    } catch (error) {
      reading = Promise.reject(error as Error);
    }
    const read = reading instanceof Promise ? reading.then(() => void (readMs = performance.now() - readBegan)) : Promise.resolve(void (readMs = performance.now() - readBegan));
    read.catch(ignore);
    const job = this.chain.then(async () => {
      await read;
      const began = performance.now();
      const x = finishBatch(raw, indices.length, this.spec, augment ? this.random : null);
      const y = labelsOf(source.labels, indices);
      return { x, y, augmentState: this.random.state, ms: readMs + performance.now() - began };
    });
    this.chain = job.then(ignore, ignore);
    return job;
  }
}

/** Messages between the training thread (batch-producer.ts) and the batch worker thread (batch-worker.ts). */
export type ToBatchWorker =
  | { type: 'init'; sources: Record<string, SourceSpec>; spec: BatchSpec; augmentState: number }
  | { type: 'batch'; id: number; source: string; indices: Uint32Array; augment: boolean }
  | { type: 'close' };

export type FromBatchWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'batch'; id: number; x: Float32Array; y: Int32Array; augmentState: number; ms: number }
  | { type: 'batch-error'; id: number; message: string }
  | { type: 'closed' };
