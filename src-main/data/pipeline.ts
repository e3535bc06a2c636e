/**
 * The input pipeline: batches of normalized (optionally augmented) images, prepared ahead. While
 * the training step works on batch k, batches k+1..k+prefetch are read and augmented: reads from
 * a cache file are real asynchronous I/O, and the CPU work runs in the gaps the loop leaves when it
 * yields to the event loop between steps.
 *
 * The training loop itself uses batch-producer.ts, which runs the same preparation in a worker
 * thread (TF.js steps block the training thread, so only another thread truly overlaps them);
 * `benchmarkPipeline` with `split` measures that producer.
 */
import type { Normalization } from './batches';
import { augmentBatch, hasAugmentation, normalizeBatch, type AugmentOptions } from './augment';
import type { ImageSource } from './cache';
import { createRandom } from './random';
import { createBatchProducer, type PipelineMode } from './batch-producer';
import type { PreparedBatch } from './batch-prep';
import type { TrainingSplit } from './datasets';

export interface Batch {
  /** size × H × W × C, normalized. */
  x: Float32Array;
  y: Int32Array;
  size: number;
  indices: Uint32Array;
}

export interface BatchIteratorOptions {
  source: ImageSource;
  /** The images of this pass, in order (already shuffled by the caller when training). */
  order: Uint32Array;
  batchSize: number;
  shape: [height: number, width: number, channels: number];
  norm: Normalization;
  augment?: AugmentOptions;
  seed?: number;
  /** Batches prepared ahead of the one being consumed; 2 is double buffering plus one. */
  prefetch?: number;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createBatchIterator(options: BatchIteratorOptions): AsyncIterableIterator<Batch> {
  const { source, order, batchSize, shape, norm } = options;
  const [height, width, channels] = shape;
  const imageBytes = height * width * channels;
  if (source.imageBytes !== imageBytes) throw new RangeError(`the source holds ${source.imageBytes}-byte images; shape ${shape.join('×')} needs ${imageBytes}`);
  const augment = hasAugmentation(options.augment) ? options.augment! : null;
  const random = createRandom(options.seed ?? 0);
  const prefetch = Math.max(1, options.prefetch ?? 2);
  const batches = Math.ceil(order.length / batchSize);
  const pending: Promise<Batch>[] = [];
  let scheduled = 0;

  // Preparation is chained so that batches (and the generator's draws) stay in order.
  let chain: Promise<unknown> = Promise.resolve();
  const prepare = (k: number): Promise<Batch> => {
    const job = chain.then(async () => {
      await nextTick();
      const indices = order.subarray(k * batchSize, Math.min(order.length, (k + 1) * batchSize));
      const pixels = new Uint8Array(indices.length * imageBytes);
      await source.read(indices, pixels);
      const ready = augment ? augmentBatch(pixels, [indices.length, height, width, channels], augment, random) : pixels;
      const y = new Int32Array(indices.length);
      for (let n = 0; n < indices.length; n++) y[n] = source.labels[indices[n]];
      return { x: normalizeBatch(ready, channels, norm), y, size: indices.length, indices };
    });
    chain = job.catch(() => undefined);
    return job;
  };
  const fill = () => {
    while (scheduled < batches && pending.length < prefetch) pending.push(prepare(scheduled++));
  };

  return {
    async next(): Promise<IteratorResult<Batch>> {
      fill();
      const batch = pending.shift();
      if (!batch) return { done: true, value: undefined };
      const value = await batch;
      fill();
      return { done: false, value };
    },
    async return(): Promise<IteratorResult<Batch>> {
      scheduled = batches;
      pending.length = 0;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export interface PipelineBenchmark {
  imagesPerSec: number;
  images: number;
  seconds: number;
  batchSize: number;
  augmented: boolean;
  /** Where the batches were prepared: this thread (createBatchIterator), or the training loop's producer. */
  mode?: 'iterator' | 'worker' | 'thread';
}

export interface PipelineBenchmarkOptions extends Omit<BatchIteratorOptions, 'order'> {
  minSeconds?: number;
  maxImages?: number;
  /**
   * The split behind `source`: when given, the benchmark measures the training loop's own batch
   * producer (a worker thread when batch-worker.js is found, see batch-producer.ts) instead of
   * createBatchIterator, with `prefetch` batches in flight.
   */
  split?: TrainingSplit;
  mode?: PipelineMode;
  workerEntry?: string;
}

/**
 * The pipeline's throughput alone (no training step): images per second over at least
 * `minSeconds` or one pass, whichever ends first. `cvb bench` shows it next to training's.
 */
export async function benchmarkPipeline(options: PipelineBenchmarkOptions): Promise<PipelineBenchmark> {
  const count = Math.min(options.source.count, options.maxImages ?? options.source.count);
  const random = createRandom(options.seed ?? 0);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = Math.floor(random() * options.source.count);
  if (options.split) return benchmarkProducer(options, order);
  const began = performance.now();
  let images = 0;
  const limit = (options.minSeconds ?? 2) * 1000;
  for await (const batch of createBatchIterator({ ...options, order })) {
    images += batch.size;
    if (performance.now() - began > limit) break;
  }
  const seconds = (performance.now() - began) / 1000;
  return { imagesPerSec: images / seconds, images, seconds, batchSize: options.batchSize, augmented: hasAugmentation(options.augment), mode: 'iterator' };
}

/** The training loop's producer over `order` (worker start-up excluded), `prefetch` batches in flight. */
async function benchmarkProducer(options: PipelineBenchmarkOptions, order: Uint32Array): Promise<PipelineBenchmark> {
  const augment = hasAugmentation(options.augment) ? options.augment! : null;
  const producer = await createBatchProducer({
    sources: { train: options.split! },
    spec: { shape: options.shape, norm: options.norm, augment },
    augmentState: options.seed ?? 0,
    mode: options.mode,
    workerEntry: options.workerEntry,
  });
  try {
    const depth = Math.max(1, options.prefetch ?? 2);
    const limit = (options.minSeconds ?? 2) * 1000;
    const ahead: Promise<PreparedBatch>[] = [];
    let requested = 0;
    let images = 0;
    const began = performance.now();
    while (requested < order.length || ahead.length > 0) {
      while (ahead.length < depth && requested < order.length) {
        ahead.push(producer.request('train', order.subarray(requested, requested + options.batchSize), augment !== null));
        requested += options.batchSize;
      }
      images += (await ahead.shift()!).y.length;
      if (performance.now() - began > limit) break;
    }
    const seconds = (performance.now() - began) / 1000;
    return { imagesPerSec: images / seconds, images, seconds, batchSize: options.batchSize, augmented: augment !== null, mode: producer.mode };
  } finally {
    await producer.close();
  }
}
