/**
 * The backend ladder: tensorflow (tfjs-node-gpu, then tfjs-node), then wasm with the project's
 * gradient kernels, then cpu. Each rung that is passed over is reported with the reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradient functions of every op (tfjs-core alone has none); the project's
// wasm gradient configs build on them, so every process that picks a backend needs this import.
import '@tensorflow/tfjs-layers';
import { setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BackendName, BackendReport } from '../contract';
import { registerWasmGradientKernels } from './wasm-kernels/register';
import { requestWasmThreads } from './wasm-threads';

/** Best first. */
export const BACKEND_LADDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

type PassedOver = BackendReport['passedOver'][number];
type Attempt = { ok: true; device: string; threads?: number } | { ok: false; reason: string };

/**
 * `require` resolving from this module: works from source (vitest) and from the bundles in dist/main
 * (the CommonJS one has import.meta.url defined by scripts/build-main.mjs).
 */
function engineRequire(): NodeJS.Require {
  return createRequire(import.meta.url);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].trim();
}

function cpuModel(): string {
  const cpus = os.cpus();
  return cpus.length > 0 ? `${cpus[0].model.trim()}, ${cpus.length} logical cores` : 'unknown CPU';
}

/**
 * tfjs-node pulls in @tensorflow/tfjs, which imports @tensorflow/tfjs-core by itself. TF.js keeps one
 * engine per process, but tensors made by a second copy of tfjs-core are instances of another class
 * and versions may differ, so the native backend is only used when it resolves to our own copy.
 */
function sharedCoreProblem(requireFromHere: NodeJS.Require, packageName: string): string | null {
  const ours = requireFromHere.resolve('@tensorflow/tfjs-core');
  const fromNative = createRequire(requireFromHere.resolve(packageName));
  const union = fromNative.resolve('@tensorflow/tfjs');
  const theirs = createRequire(union).resolve('@tensorflow/tfjs-core');
  if (theirs === ours) return null;
  const version = (file: string): string => {
    try {
      const manifest = path.join(file.slice(0, file.lastIndexOf(`${path.sep}dist${path.sep}`)), 'package.json');
      return (requireFromHere(manifest) as { version: string }).version;
    } catch {
      return 'unknown version';
    }
  };
  return (
    `${packageName} loads its own @tensorflow/tfjs-core ${version(theirs)} (${theirs}) instead of the project's ` +
    `${version(ours)} (${ours}); run \`npm dedupe\` so that both use one copy`
  );
}

async function tryTensorflow(): Promise<Attempt> {
  const requireFromHere = engineRequire();
  const reasons: string[] = [];
  for (const packageName of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const gpu = packageName.endsWith('-gpu');
    try {
      requireFromHere.resolve(packageName);
    } catch {
      reasons.push(`${packageName} is not installed (optional dependency)`);
      continue;
    }
    try {
      const problem = sharedCoreProblem(requireFromHere, packageName);
      if (problem) {
        reasons.push(problem);
        continue;
      }
      // Without this TensorFlow reserves nearly all GPU memory up front; a user's value wins.
      if (gpu && process.env.TF_FORCE_GPU_ALLOW_GROWTH === undefined) process.env.TF_FORCE_GPU_ALLOW_GROWTH = 'true';
      requireFromHere(packageName);
    } catch (error) {
      reasons.push(`${packageName} failed to load: ${firstLine(error)}`);
      continue;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      reasons.push(`${packageName} loaded but its 'tensorflow' backend did not initialise`);
      continue;
    }
    const native = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
    const device = native.isUsingGpuDevice
      ? 'GPU (CUDA, TensorFlow native via tfjs-node-gpu)'
      : `CPU (TensorFlow native via ${packageName.slice('@tensorflow/'.length)}; ${cpuModel()})`;
    return { ok: true, device };
  }
  return { ok: false, reason: reasons.join('; ') };
}

/** Directory holding the .wasm binaries, found through module resolution so bundles and tests agree. */
export function wasmBinaryDirectory(): string {
  const manifest = engineRequire().resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(manifest), 'dist') + path.sep;
}

let wasmPathsSet = false;

/** Makes the wasm backend usable (paths + the project's kernels) without switching to it. */
export function prepareWasm(): void {
  registerWasmGradientKernels();
  if (!wasmPathsSet) {
    setWasmPaths(wasmBinaryDirectory());
    wasmPathsSet = true;
  }
}

async function tryWasm(options: BackendOptions): Promise<Attempt> {
  let started: () => void;
  try {
    prepareWasm();
    started = requestWasmThreads(options.threads ?? 1);
  } catch (error) {
    return { ok: false, reason: `the WebAssembly backend could not be prepared: ${firstLine(error)}` };
  }
  const ok = await tf.setBackend('wasm');
  started();
  if (!ok) {
    return { ok: false, reason: 'the WebAssembly module failed to initialise (see the log for the cause)' };
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = getThreadsCount();
  return {
    ok: true,
    device: `CPU (WebAssembly${simd ? ' SIMD' : ''}, XNNPACK, ${threads} thread${threads === 1 ? '' : 's'}; ${cpuModel()})`,
    threads,
  };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend did not initialise' };
  return { ok: true, device: `CPU (plain JavaScript; ${cpuModel()})`, threads: 1 };
}

export interface BackendOptions {
  /**
   * Threads for one op on the wasm backend (XNNPACK's pool, the calling thread included); default 1.
   * Only the first start of the wasm backend in a process takes it (see wasm-threads.ts).
   */
  threads?: number;
}

const attempts: Record<BackendName, (options: BackendOptions) => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Initialises TF.js on the best available backend and reports the choice.
 *
 * @param preferred a backend to use instead of the automatic choice (else `CVB_BACKEND` if set);
 *   if it cannot start this throws an Error saying why. The better backends it skips are reported.
 * @param options.threads threads per op on wasm (the threaded SIMD build when above 1).
 *
 * Side effects, all confined to the calling process (so {@link probeBackend} can run it in a
 * short-lived child): sets the global TF.js backend; loads tfjs-node-gpu / tfjs-node when installed
 * (native TensorFlow; on a GPU this creates a CUDA context that lives as long as the process);
 * sets TF_FORCE_GPU_ALLOW_GROWTH=true in process.env before loading tfjs-node-gpu unless already set;
 * registers the project's wasm kernels and the wasm binary path. It writes no files and reads only
 * the CVB_BACKEND environment variable.
 */
export async function initBackend(preferred?: BackendName, options: BackendOptions = {}): Promise<BackendReport> {
  const requested = preferred ?? parseBackendName(process.env.CVB_BACKEND);
  const passedOver: PassedOver[] = [];
  for (const name of BACKEND_LADDER) {
    if (requested && name !== requested) {
      if (BACKEND_LADDER.indexOf(name) < BACKEND_LADDER.indexOf(requested)) {
        passedOver.push({ name, reason: `not tried: backend '${requested}' was requested` });
      }
      continue;
    }
    const attempt = await attempts[name](options);
    if (attempt.ok) {
      await tf.ready();
      return { name, device: attempt.device, ...(attempt.threads ? { threads: attempt.threads } : {}), passedOver };
    }
    if (requested) throw new Error(`backend '${requested}' is not available: ${attempt.reason}`);
    passedOver.push({ name, reason: attempt.reason });
  }
  throw new Error(`no TF.js backend could start: ${passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ')}`);
}

function parseBackendName(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKEND_LADDER as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`CVB_BACKEND must be one of ${BACKEND_LADDER.join(', ')}; got '${value}'`);
}
