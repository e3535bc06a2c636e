/**
 * The training loop's batch producer. TF.js steps (wasm, cpu) run synchronously on the training
 * thread, so "prepare the next batch while the step runs" needs a second thread: the producer
 * starts a node:worker_threads batch worker (batch-worker.ts, bundled next to the running script
 * as batch-worker.js) and hands it the splits — in-memory splits as SharedArrayBuffer views (no
 * copy when the loader already put them in shared memory), streamed splits as their cache file —
 * plus the augmentation stream's state. The loop then requests batch k+1 before running step k
 * and awaits it after; batches come back in request order with their pixels' buffer transferred.
 *
 * When no worker can run (the entry file is absent, e.g. tests running the TypeScript sources, or
 * it fails to start) the same BatchEngine runs in the training thread: identical batches, and
 * cache-file reads still overlap the step (they are libuv I/O), but augmentation does not.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BatchEngine, openSource, type OpenedSource, type SourceSpec } from './batch-engine';
import type { BatchSpec, PreparedBatch } from './batch-prep';
import { besideThisBundle } from './bundle-path';
import { isStreamed, type TrainingSplit } from './datasets';
import type { FromBatchWorker, ToBatchWorker } from './batch-engine';

export type PipelineMode = 'auto' | 'worker' | 'thread';

export interface PipelineStats {
  /** Where batches were prepared. */
  mode: 'worker' | 'thread';
  /** Why a worker was asked for but not used (auto mode). */
  fallbackReason?: string;
  batches: number;
  images: number;
  /** Time spent preparing the batches (in the worker, or in the training thread). */
  prepareSeconds: number;
}

export interface BatchProducer {
  readonly mode: 'worker' | 'thread';
  /** Starts preparing a batch; batches are prepared in request order. */
  request(source: string, indices: Uint32Array, augment: boolean): Promise<PreparedBatch>;
  stats(): PipelineStats;
  /** Ends the worker thread (if any) and closes cache files; pending batches are dropped. */
  close(): Promise<void>;
}

export interface BatchProducerOptions {
  sources: Record<string, TrainingSplit>;
  spec: BatchSpec;
  /** The augmentation stream's state before the first augmented batch. */
  augmentState: number;
  /** auto (default): the worker when it starts, else the training thread. CVB_PIPELINE=thread|worker overrides auto. */
  mode?: PipelineMode;
  /** The worker's entry file; by default batch-worker.js next to the running script. */
  workerEntry?: string;
}

/**
 * batch-worker.js next to the bundle this code runs in (dist/main/train-worker.js, dist/main/cli.js).
 * Absent when running the TypeScript sources, e.g. under Vitest.
 */
export function defaultBatchWorkerEntry(): string {
  return besideThisBundle('batch-worker.js');
}

let liveWorkers = 0;

/** Batch worker threads currently running in this process (for tests and diagnostics). */
export function liveBatchWorkers(): number {
  return liveWorkers;
}

const ignore = () => {};

function specOf(split: TrainingSplit): SourceSpec {
  if (isStreamed(split)) return { kind: 'file', dir: split.stream.dir, split: split.stream.split, input: split.stream.input, count: split.count };
  let images = split.images;
  if (!(images.buffer instanceof SharedArrayBuffer)) {
    images = new Uint8Array(new SharedArrayBuffer(Math.max(split.images.length, 1)), 0, split.images.length);
    images.set(split.images);
  }
  return { kind: 'memory', images, labels: Uint8Array.from(split.labels), count: split.count };
}

async function threadProducer(options: BatchProducerOptions, fallbackReason?: string): Promise<BatchProducer> {
  const names = Object.keys(options.sources);
  const opened: OpenedSource[] = await Promise.all(
    names.map((name) => {
      const split = options.sources[name];
      return isStreamed(split) ? openSource(specOf(split)) : openSource({ kind: 'memory', images: split.images, labels: split.labels, count: split.count });
    }),
  );
  const engine = new BatchEngine(Object.fromEntries(names.map((name, i) => [name, opened[i].source])), options.spec, options.augmentState);
  const totals = { batches: 0, images: 0, ms: 0 };
  return {
    mode: 'thread',
    request(source, indices, augment) {
      const job = engine.run(source, indices, augment).then(({ ms, ...batch }) => {
        totals.batches++;
        totals.images += indices.length;
        totals.ms += ms;
        return batch;
      });
      job.catch(ignore);
      return job;
    },
    stats: () => ({ mode: 'thread', ...(fallbackReason ? { fallbackReason } : {}), batches: totals.batches, images: totals.images, prepareSeconds: totals.ms / 1000 }),
    close: async () => {
      await Promise.allSettled(opened.map((o) => o.close()));
    },
  };
}

async function workerProducer(options: BatchProducerOptions, entry: string): Promise<BatchProducer> {
  const worker = new Worker(entry);
  liveWorkers++;
  let alive = true;
  const waiting = new Map<number, { resolve(batch: PreparedBatch): void; reject(error: Error): void }>();
  const totals = { batches: 0, images: 0, ms: 0 };
  let failure: Error | null = null;
  let onReady: ((error: Error | null) => void) | null = null;
  const fail = (error: Error) => {
    failure ??= error;
    onReady?.(error);
    for (const pending of waiting.values()) pending.reject(error);
    waiting.clear();
  };
  worker.on('message', (message: FromBatchWorker) => {
    if (message.type === 'ready') onReady?.(null);
    else if (message.type === 'failed') fail(new Error(`the batch worker could not open its sources: ${message.message}`));
    else if (message.type === 'batch') {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      totals.batches++;
      totals.images += message.y.length;
      totals.ms += message.ms;
      pending?.resolve({ x: message.x, y: message.y, augmentState: message.augmentState });
    } else if (message.type === 'batch-error') {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      pending?.reject(new Error(`batch preparation failed: ${message.message}`));
    }
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    if (alive) {
      alive = false;
      liveWorkers--;
    }
    fail(new Error(`the batch worker exited (code ${code})`));
  });
  const terminate = async () => {
    if (!alive) return;
    alive = false;
    liveWorkers--;
    await worker.terminate();
  };

  const sources = Object.fromEntries(Object.entries(options.sources).map(([name, split]) => [name, specOf(split)]));
  const init: ToBatchWorker = { type: 'init', sources, spec: options.spec, augmentState: options.augmentState };
  const ready = new Promise<Error | null>((resolve) => {
    onReady = resolve;
    if (failure) resolve(failure);
  });
  worker.postMessage(init);
  const startError = await ready;
  onReady = null;
  if (startError) {
    await terminate();
    throw startError;
  }

  let nextId = 0;
  return {
    mode: 'worker',
    request(source, indices, augment) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      const job = new Promise<PreparedBatch>((resolve, reject) => waiting.set(id, { resolve, reject }));
      job.catch(ignore);
      // A copy: a subarray would carry its whole buffer (the epoch's order) across.
      const message: ToBatchWorker = { type: 'batch', id, source, indices: indices.slice(), augment };
      worker.postMessage(message, [message.indices.buffer as ArrayBuffer]);
      return job;
    },
    stats: () => ({ mode: 'worker', batches: totals.batches, images: totals.images, prepareSeconds: totals.ms / 1000 }),
    close: async () => {
      waiting.clear();
      await terminate();
    },
  };
}

/** The producer the loop uses: a batch worker thread when one can run, else the training thread. */
export async function createBatchProducer(options: BatchProducerOptions): Promise<BatchProducer> {
  const forced = process.env.CVB_PIPELINE;
  const mode: PipelineMode = options.mode ?? (forced === 'thread' || forced === 'worker' ? forced : 'auto');
  if (mode === 'thread') return threadProducer(options);
  const entry = options.workerEntry ?? defaultBatchWorkerEntry();
  if (!existsSync(entry)) {
    if (mode === 'worker') throw new Error(`the batch worker's entry ${entry} does not exist (run npm run build:main)`);
    return threadProducer(options, `no batch worker at ${entry}`);
  }
  try {
    return await workerProducer(options, entry);
  } catch (error) {
    if (mode === 'worker') throw error;
    return threadProducer(options, (error as Error).message);
  }
}
