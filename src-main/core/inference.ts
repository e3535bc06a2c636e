/**
 * Core's inference methods. One worker process (dist/main/infer-worker.js) is started on first
 * use and kept warm; it is restarted on the next request if it died. Requests queue and go to it
 * one at a time, so a request that crashes it fails alone and the ones behind it still run.
 *
 * Images come as bytes (base64) or as paths. Which paths a request may name is the host's path
 * policy (core/host-paths.ts), applied before a handler runs. A path must be absolute and name a
 * regular file no larger than the limit; anything else is that image's own error, never the request's.
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { INFER_LIMITS, type ApiError, type BackendName, type InferImage, type InferRun } from '../contract';
import type { HostToInferWorker, InferJob, InferWorkerToHost, JobImage, WorkerStats } from '../infer/protocol';
import { RunStore } from '../store/runs';
import type { Handlers } from './handlers';
import { WorkbenchError } from './errors';
import type { Logger } from './log';
import { forkWorker, type WorkerProcess } from './workers';

export interface InferenceServiceOptions {
  home: string;
  /** The bundled inference worker (dist/main/infer-worker.js). */
  workerEntry: string;
  /** Inside Electron: the Electron binary run as Node (with ELECTRON_RUN_AS_NODE=1 in `env`). */
  execPath?: string;
  env?: Record<string, string>;
  /** Dataset folders, to compute a run's normalization again when its checkpoint lacks preprocessing.json. */
  datasetRoots: string[];
  /** Where a crash of the worker is logged. */
  logger?: Logger;
  /** Models kept loaded at once (least recently used goes first); default 4. */
  maxModels?: number;
  backend?: BackendName;
  /** A request that takes longer kills the worker (a hang); default 5 minutes. */
  jobTimeoutMs?: number;
  /** Requests waiting beyond this many are refused as busy; default 64. */
  maxQueue?: number;
}

type InferMethod = 'infer.runs' | 'infer.predict' | 'infer.layers' | 'infer.featureMaps' | 'infer.seWeights';

export interface InferenceService {
  handlers: Handlers<InferMethod>;
  /** The worker's counters (models loaded since it started, what is cached); starts it if needed. */
  workerStats(): Promise<WorkerStats>;
  /** How many times a worker process was started. */
  readonly workerStarts: number;
  close(): Promise<void>;
}

interface Pending {
  id: number;
  job: InferJob;
  resolve(value: unknown): void;
  reject(error: WorkbenchError): void;
}

interface Worker {
  process: WorkerProcess<HostToInferWorker, InferWorkerToHost>;
  /** Settles when the worker has loaded TF.js and said so (or failed to). */
  ready: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export function createInferenceService(options: InferenceServiceOptions): InferenceService {
  const store = new RunStore(options.home);
  const queue: Pending[] = [];
  let current: Pending | null = null;
  let worker: Worker | null = null;
  let nextId = 1;
  let starts = 0;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  function startWorker(): Worker {
    starts++;
    const child = forkWorker<HostToInferWorker, InferWorkerToHost>({ entry: options.workerEntry, execPath: options.execPath, env: options.env });
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    const started: Worker = { process: child, ready: new Promise((resolve, reject) => ((resolveReady = resolve), (rejectReady = reject))) };
    started.ready.catch(() => undefined);
    child.onMessage((message) => {
      if (message.type === 'ready') resolveReady();
      else if (message.type === 'init-failed') rejectReady(new Error(message.error));
      else if (message.type === 'result' && current?.id === message.id) {
        const done = current;
        finishCurrent();
        if (message.ok) done.resolve(message.value);
        else done.reject(new WorkbenchError(message.error));
      }
    });
    void child.exited.then((exit) => {
      if (worker === started) worker = null;
      const how = child.describeExit(exit, 3);
      if (!closed) options.logger?.error({ exitCode: exit.code, signal: exit.signal, during: current?.job.kind ?? null, how }, 'the inference worker ended');
      rejectReady(new Error(`the inference worker ${how}`));
      if (current) {
        const failed = current;
        finishCurrent();
        failed.reject(new WorkbenchError({ code: 'internal', message: `the inference worker stopped during this request (it ${how}); the next request starts it again` }));
      }
    });
    child.send({ type: 'init', home: options.home, datasetRoots: options.datasetRoots, maxModels: options.maxModels ?? 4, backend: options.backend });
    return started;
  }

  function finishCurrent(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    current = null;
    queueMicrotask(pump);
  }

  function pump(): void {
    if (current || closed || queue.length === 0) return;
    const next = queue.shift()!;
    current = next;
    worker ??= startWorker();
    const target = worker;
    target.ready.then(
      () => {
        if (current !== next || !target.process.connected) return;
        target.process.send({ type: 'job', id: next.id, job: next.job });
        timer = setTimeout(() => target.process.child.kill('SIGKILL'), options.jobTimeoutMs ?? DEFAULT_TIMEOUT_MS);
      },
      (error: Error) => {
        if (current !== next) return;
        finishCurrent();
        next.reject(new WorkbenchError({ code: 'unavailable', message: `the inference worker could not start: ${error.message}` }));
      },
    );
  }

  function submit<T>(job: InferJob): Promise<T> {
    if (closed) return Promise.reject(new WorkbenchError({ code: 'unavailable', message: 'the workbench is closing' }));
    if (queue.length >= (options.maxQueue ?? 64)) {
      return Promise.reject(new WorkbenchError({ code: 'unavailable', message: `inference is busy: ${queue.length} requests are waiting; try again shortly` }));
    }
    return new Promise<T>((resolve, reject) => {
      queue.push({ id: nextId++, job, resolve: resolve as (value: unknown) => void, reject });
      pump();
    });
  }

  /** Reads one image for the worker; problems with the file become that image's error. */
  async function readImage(image: InferImage, field: string): Promise<JobImage> {
    if ('data' in image) {
      const bytes = Buffer.from(image.data, 'base64');
      if (bytes.length === 0) return { name: image.name, error: 'empty file (0 bytes)' };
      return { name: image.name, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
    }
    if (!isAbsolute(image.path) || image.path.includes('\0')) {
      throw new WorkbenchError({ code: 'invalid_request', field, message: `${field}: must be an absolute path` });
    }
    try {
      const info = await stat(image.path);
      if (info.isDirectory()) return { name: image.name, error: 'a folder, not an image file' };
      if (!info.isFile()) return { name: image.name, error: 'not a regular file' };
      if (info.size > INFER_LIMITS.imageBytes) {
        return { name: image.name, error: `too large: ${(info.size / 1024 / 1024).toFixed(1)} MiB is over the limit of ${INFER_LIMITS.imageBytes / 1024 / 1024} MiB` };
      }
      if (info.size === 0) return { name: image.name, error: 'empty file (0 bytes)' };
      // Read at most the limit, even if the file grew since the stat.
      const handle = await open(image.path, 'r');
      try {
        const bytes = new Uint8Array(Math.min(info.size, INFER_LIMITS.imageBytes));
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
        return { name: image.name, bytes: bytes.subarray(0, bytesRead) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { name: image.name, error: 'file not found' };
      if (code === 'EACCES' || code === 'EPERM') return { name: image.name, error: 'permission denied' };
      return { name: image.name, error: `cannot read the file: ${(error as Error).message}` };
    }
  }

  function checkpointsOf(runId: string): InferRun['checkpoints'] {
    const dir = `${store.runDir(runId)}/checkpoints`;
    return (['best', 'last'] as const).filter((name) => existsSync(`${dir}/${name}/model.json`));
  }

  const handlers: Handlers<InferMethod> = {
    'infer.runs': () =>
      store
        .list()
        .filter((run) => !run.damaged)
        .map((run) => ({ runId: run.id, model: run.model, dataset: run.dataset, status: run.status, createdAt: run.createdAt, checkpoints: checkpointsOf(run.id), valAccuracy: run.final.valAccuracy }))
        .filter((run) => run.checkpoints.length > 0),
    'infer.predict': async ({ runId, checkpoint, images, topK, cam }) => {
      const read = await Promise.all(images.map((image, i) => readImage(image, `images.${i}.path`)));
      return submit({ kind: 'predict', runId, checkpoint, images: read, topK, cam });
    },
    'infer.layers': ({ runId, checkpoint }) => submit({ kind: 'layers', runId, checkpoint }),
    'infer.featureMaps': async ({ runId, checkpoint, image, layer, maxChannels }) =>
      submit({ kind: 'featureMaps', runId, checkpoint, image: await readImage(image, 'image.path'), layer, maxChannels }),
    'infer.seWeights': async ({ runId, checkpoint, image, block }) =>
      submit({ kind: 'seWeights', runId, checkpoint, image: await readImage(image, 'image.path'), block }),
  };

  return {
    handlers,
    workerStats: () => submit<WorkerStats>({ kind: 'stats' }),
    get workerStarts() {
      return starts;
    },
    async close() {
      closed = true;
      const closing: ApiError = { code: 'unavailable', message: 'the workbench is closing' };
      for (const pending of queue.splice(0)) pending.reject(new WorkbenchError(closing));
      await worker?.process.stop(5000);
    },
  };
}
