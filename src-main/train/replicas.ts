/**
 * Data-parallel training (`dataParallel`): the training thread and `threads − 1` replica threads
 * (worker_threads, replica-worker.ts), each with its own single-threaded backend and a copy of the
 * model, compute the gradients of one share of every batch at the same time. The training thread
 * owns the truth, its model and optimizer: before each step it publishes the weights to a shared
 * buffer every replica reads, and after it the replicas' gradients (each in a shared buffer of its
 * own) are weighted by share and summed in share order (loop.ts), then applied once. So a result
 * depends on the thread count, never on timing; resuming is exact because a replica keeps no state
 * between steps but its batch-norm statistics, which no training step reads and no checkpoint keeps
 * (as PyTorch DDP without SyncBatchNorm: each share normalizes with its own batch statistics).
 * A replica that fails or exits fails the step, and so the run, with its reason.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { shareSizes, type BackendName, type TrainConfig } from '../contract';
import { besideThisBundle } from '../data/bundle-path';
import { defaultThreads } from '../engine/cores';

/**
 * The threads a run splits its batches across, or null when it does not: `dataParallel` with more
 * than one thread, on wasm or cpu. Native TensorFlow already runs each operation on every core, so
 * there the setting is ignored.
 */
export function splitsBatches(config: Pick<TrainConfig, 'dataParallel' | 'threads'>, backend: BackendName): number | null {
  const threads = config.threads ?? defaultThreads();
  return config.dataParallel && threads > 1 && backend !== 'tensorflow' ? threads : null;
}

export type ToReplica =
  | {
      type: 'init';
      index: number;
      backend: BackendName;
      config: TrainConfig;
      input: [number, number, number];
      classes: number;
      /** The trainable variables' shapes in order, which the replica's model must match. */
      shapes: number[][];
      weights: SharedArrayBuffer;
      gradients: SharedArrayBuffer;
    }
  | { type: 'step'; step: number; pixels: Float32Array; labels: Int32Array };

export type FromReplica =
  | { type: 'ready' }
  /** `tensors`: the replica's live tensors after the step, constant from step to step unless one leaks. */
  | { type: 'done'; step: number; loss: number; correct: number; correct5: number; tensors: number }
  | { type: 'failed'; message: string };

export interface BatchShare {
  pixels: Float32Array;
  labels: Int32Array;
}

/** One replica's share of a step: its mean loss, its counts and, per variable, its gradient. */
export interface ReplicaResult {
  loss: number;
  counts: [number, number];
  gradient(variable: number): Float32Array;
  /** The replica's live tensors after its step. */
  tensors: number;
}

/** A batch cut into `parts` consecutive shares of {@link shareSizes}; views, not copies. */
export function splitBatch(pixels: Float32Array, labels: Int32Array, parts: number): BatchShare[] {
  const count = labels.length;
  const perImage = count > 0 ? pixels.length / count : 0;
  const shares: BatchShare[] = [];
  let start = 0;
  for (const size of shareSizes(count, parts)) {
    shares.push({ pixels: pixels.subarray(start * perImage, (start + size) * perImage), labels: labels.subarray(start, start + size) });
    start += size;
  }
  return shares;
}

/** replica-worker.js next to the running bundle, as the batch worker (see defaultBatchWorkerEntry). */
export function defaultReplicaWorkerEntry(): string {
  return besideThisBundle('replica-worker.js');
}

export interface ReplicaPoolOptions {
  /** Replica threads to start (the training thread is not one of them). */
  count: number;
  entry?: string;
  backend: BackendName;
  config: TrainConfig;
  input: [number, number, number];
  classes: number;
  variables: tf.Variable[];
}

interface Replica {
  worker: Worker;
  gradients: Float32Array;
  pending: { step: number; resolve(result: ReplicaResult): void; reject(error: Error): void } | null;
}

export class ReplicaPool {
  private readonly offsets: number[];
  private readonly sizes: number[];
  private readonly weights: Float32Array;
  private failure: Error | null = null;
  private closing = false;

  private constructor(
    private readonly replicas: Replica[],
    weights: Float32Array,
    sizes: number[],
  ) {
    this.weights = weights;
    this.sizes = sizes;
    this.offsets = sizes.reduce<number[]>((offsets, size, i) => [...offsets, i === 0 ? 0 : offsets[i - 1] + sizes[i - 1]], []);
  }

  get size(): number {
    return this.replicas.length;
  }

  /** Starts the replica threads and waits until each has built its model (or one has failed). */
  static async start(options: ReplicaPoolOptions): Promise<ReplicaPool> {
    const entry = options.entry ?? defaultReplicaWorkerEntry();
    if (!existsSync(entry)) throw new Error(`data-parallel training needs the replica worker ${entry}, which does not exist (run npm run build:main)`);
    const sizes = options.variables.map((v) => v.size);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const weights = new SharedArrayBuffer(total * 4);
    const replicas: Replica[] = [];
    const pool = new ReplicaPool(replicas, new Float32Array(weights), sizes);
    const starting: Promise<void>[] = [];
    for (let index = 1; index <= options.count; index++) {
      const gradients = new SharedArrayBuffer(total * 4);
      const replica: Replica = { worker: new Worker(entry), gradients: new Float32Array(gradients), pending: null };
      replicas.push(replica);
      starting.push(pool.watch(replica, index));
      const init: ToReplica = {
        type: 'init',
        index,
        backend: options.backend,
        config: options.config,
        input: options.input,
        classes: options.classes,
        shapes: options.variables.map((v) => [...v.shape]),
        weights,
        gradients,
      };
      replica.worker.postMessage(init);
    }
    try {
      await Promise.all(starting);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Resolves once the replica is ready; afterwards routes its step results and failures. */
  private watch(replica: Replica, index: number): Promise<void> {
    return new Promise((resolveReady, rejectReady) => {
      let ready = false;
      const fail = (reason: string) => {
        const error = new Error(`data-parallel replica ${index} ${reason}`);
        this.failure ??= error;
        if (!ready) rejectReady(error);
        replica.pending?.reject(error);
        replica.pending = null;
      };
      replica.worker.on('message', (message: FromReplica) => {
        if (message.type === 'ready') {
          ready = true;
          resolveReady();
        } else if (message.type === 'failed') {
          fail(`failed: ${message.message}`);
        } else if (replica.pending && message.step === replica.pending.step) {
          const { resolve: done } = replica.pending;
          replica.pending = null;
          done({ loss: message.loss, counts: [message.correct, message.correct5], tensors: message.tensors, gradient: (j) => replica.gradients.subarray(this.offsets[j], this.offsets[j] + this.sizes[j]) });
        }
      });
      replica.worker.on('error', (error) => fail(`failed: ${error.message}`));
      replica.worker.on('exit', (code) => {
        if (!this.closing) fail(`exited (code ${code}) while the run was training`);
      });
    });
  }

  /** Copies the training thread's weights where the replicas read them at their next step. */
  publishWeights(variables: tf.Variable[]): void {
    variables.forEach((variable, j) => this.weights.set(variable.dataSync() as Float32Array, this.offsets[j]));
  }

  /** Starts each replica on its share; resolves with their results in share order. Empty shares are skipped. */
  step(step: number, shares: BatchShare[]): Promise<ReplicaResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (shares.length !== this.replicas.length) throw new Error(`internal: ${shares.length} shares for ${this.replicas.length} replicas`);
    const empty: ReplicaResult = { loss: 0, counts: [0, 0], tensors: 0, gradient: (j) => new Float32Array(this.sizes[j]) };
    return Promise.all(
      this.replicas.map((replica, i) => {
        const share = shares[i];
        if (share.labels.length === 0) return Promise.resolve(empty);
        return new Promise<ReplicaResult>((resolveStep, rejectStep) => {
          replica.pending = { step, resolve: resolveStep, reject: rejectStep };
          const message: ToReplica = { type: 'step', step, pixels: share.pixels.slice(), labels: share.labels.slice() };
          // Copies (slice) with buffers of their own, moved to the replica rather than copied again.
          replica.worker.postMessage(message, [message.pixels.buffer as ArrayBuffer, message.labels.buffer as ArrayBuffer]);
        });
      }),
    );
  }

  /** Ends every replica thread; safe to call twice. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.replicas.map((replica) => replica.worker.terminate()));
  }

  /** The replica threads, for tests that make one fail. */
  get workers(): readonly Worker[] {
    return this.replicas.map((replica) => replica.worker);
  }
}
