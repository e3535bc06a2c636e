/**
 * Threads for the wasm backend under Node. tfjs-backend-wasm 4.22 ships a threaded SIMD build
 * (XNNPACK with a pthread pool) and turns it off under Node: its flag says "no threads" when IS_NODE,
 * and its emscripten glue starts each pthread worker from a Blob URL (the worker script, then the
 * module's own source), which Node's worker_threads cannot load. Here the two Blobs are written to
 * files once per process and their URLs become those file paths, so the same workers start from
 * disk. Two caps in the module also need lifting: its C++ init limits the pool to
 * `emscripten_num_logical_cores() / 2` (it assumes two hardware threads per core, and the glue
 * answers with `os.cpus().length`), so that answer is raised to the requested count for the
 * duration of the module's start-up.
 *
 * XNNPACK splits an operator's output into tiles, each computed whole by one thread, so a result
 * does not depend on timing: the same inputs give the same bits on every run with the same count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The glue's factory source begins so; its worker source is the other Blob it makes. */
const MODULE_SOURCE_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** The pool the threaded build pre-creates; beyond it, workers are created on demand. */
export const WASM_MAX_THREADS = 8;

/**
 * How a dying pool thread's reason begins on stderr. The others would wait for it forever inside the
 * next operator, so the process ends at once (SIGKILL) and its host reports the reason.
 */
export const THREAD_DIED = 'a wasm compute thread died: thread ';

let installed: number | null = null;

interface PThreadWorker {
  unref(): void;
  on(event: 'exit', listener: (code: number) => void): void;
}

/**
 * The pool's workers neither keep the process alive (the glue refs each running one) nor die
 * silently: an exit the module did not ask for ends the process with the reason.
 */
function watchPool(): void {
  const backend = tf.backend() as unknown as { wasm?: { PThread?: { unusedWorkers: PThreadWorker[]; runningWorkers: PThreadWorker[] } } };
  const pool = backend.wasm?.PThread;
  if (!pool) return;
  for (const worker of [...pool.unusedWorkers, ...pool.runningWorkers]) {
    worker.unref();
    worker.on('exit', (code) => {
      process.stderr.write(`${THREAD_DIED}exited with code ${code}\n`);
      process.kill(process.pid, 'SIGKILL');
    });
  }
}

/**
 * The module's source as a script a worker can evaluate: what it uses from the bundle around it
 * (three TypeScript helpers, the Node modules it required, the global object) declared first, and
 * its factory assigned to a global, since importScripts evaluates it as a script.
 */
function moduleScript(source: string, file: string): string {
  const prelude =
    'var __read=(o,n)=>{var a=[];for(var v of o){if(n!==undefined&&a.length>=n)break;a.push(v)}return a};' +
    'var __spreadArray=(to,from)=>to.concat(Array.prototype.slice.call(from));' +
    'var __values=(o)=>o[Symbol.iterator]();' +
    "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os');" +
    `var commonjsGlobal=globalThis;var _scriptDir=${JSON.stringify(file)};\n`;
  return prelude + source.replace(MODULE_SOURCE_PREFIX, 'globalThis.WasmBackendModuleThreadedSimd');
}

/** Makes the glue's two Blobs files and their object URLs those files' paths, for this process. */
function installBlobFiles(): void {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'cvb-wasm-threads-'));
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  const NativeBlob = globalThis.Blob;
  const texts = new WeakMap<Blob, string>();
  const moduleFile = path.join(directory, 'module.cjs');
  const workerFile = path.join(directory, 'worker.cjs');
  // A function used with `new` that returns an object yields that object: a real Blob, recorded.
  globalThis.Blob = function RecordedBlob(parts: ConstructorParameters<typeof Blob>[0] = [], options?: ConstructorParameters<typeof Blob>[1]): Blob {
    const blob = new NativeBlob(parts, options);
    const text = parts.map((part) => (typeof part === 'string' ? part : '')).join('');
    texts.set(blob, text);
    // The module's Blob travels to each worker by message, never through createObjectURL here.
    if (text.startsWith(MODULE_SOURCE_PREFIX)) writeFileSync(moduleFile, moduleScript(text, moduleFile));
    return blob;
  } as unknown as typeof Blob;
  const nativeCreateObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (object: Blob) => {
    const text = texts.get(object);
    if (text === undefined || text.startsWith(MODULE_SOURCE_PREFIX)) return nativeCreateObjectURL(object);
    // In the worker, the module Blob it receives resolves to the module file; an error that would end
    // the thread ends the process instead, with the reason (see THREAD_DIED).
    const shim =
      `URL.createObjectURL=()=>${JSON.stringify(moduleFile)};URL.revokeObjectURL=()=>{};` +
      `process.on('uncaughtException',(e)=>{require('fs').writeSync(2,${JSON.stringify(THREAD_DIED)}+require('worker_threads').threadId+': '+((e&&e.stack)||e)+'\\n');process.kill(process.pid,'SIGKILL')});\n`;
    writeFileSync(workerFile, shim + text);
    return workerFile;
  };
}

/**
 * Asks for the threaded build with `threads` threads (the calling thread counts as one) before the
 * wasm backend starts; 1 keeps the single-threaded SIMD build. Returns a function to call once the
 * backend has started. Only the first start of the wasm backend in a process takes effect.
 */
export function requestWasmThreads(threads: number): () => void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a whole number of at least 1; got ${threads}`);
  if (threads === 1 && installed === null) return () => undefined;
  if (installed === null) {
    installBlobFiles();
    installed = threads;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const nativeCpus = os.cpus;
  os.cpus = () => {
    const real = nativeCpus();
    return Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % Math.max(real.length, 1)]);
  };
  return () => {
    os.cpus = nativeCpus;
    if (tf.getBackend() === 'wasm') watchPool();
  };
}
