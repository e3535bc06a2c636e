/**
 * probeBackend: which TF.js backend this machine would train on, for the UI's System line.
 */
import type { BackendName, BackendReport } from '../contract';
import { initBackend } from './backends';

/**
 * Returns the BackendReport that {@link initBackend} produces — it simply calls it — so the System
 * line shows exactly what a training worker started with the same environment will use.
 *
 * Run it in a short-lived child process, not in the host: it loads tfjs-node(-gpu) when installed
 * (native code that can crash, and on a GPU creates a CUDA context for as long as the process lives)
 * and switches that process's global TF.js backend. Everything initBackend changes is confined to the
 * calling process: the TF.js backend and kernel registry, the wasm binary path,
 * TF_FORCE_GPU_ALLOW_GROWTH in its own process.env (set only when unset, and only before loading
 * tfjs-node-gpu). It writes no files and reads only the CVB_BACKEND environment variable, so the child
 * reports the same choice as a worker with the same environment. The child may simply exit afterwards:
 * nothing needs to be flushed or released.
 *
 * Send the report to the parent over the IPC channel (process.send), not stdout: TF.js, TensorFlow's
 * native library and the wasm module may log there.
 *
 * @param preferred as for initBackend: a backend to use instead of the automatic choice (else
 *   `CVB_BACKEND` if set). Throws, with the reason, when that backend cannot start or CVB_BACKEND is invalid.
 */
export async function probeBackend(preferred?: BackendName): Promise<BackendReport> {
  return initBackend(preferred);
}
