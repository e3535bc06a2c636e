/**
 * Which backend training would use on this machine, asked of a short-lived child process (the
 * probe loads TF.js and maybe native TensorFlow; the host never does). Asked once, then cached.
 */
import { fork } from 'node:child_process';
import type { BackendReport } from '../contract';

export interface ProbeOptions {
  entry: string;
  execPath?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function probeBackendInChild(options: ProbeOptions): Promise<BackendReport> {
  return new Promise((resolve, reject) => {
    const child = fork(options.entry, [], {
      execPath: options.execPath,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the backend probe gave no answer in ${(options.timeoutMs ?? 60_000) / 1000} s`));
    }, options.timeoutMs ?? 60_000);
    child.once('message', (message: { ok: true; report: BackendReport } | { ok: false; error: string }) => {
      clearTimeout(timer);
      if (message.ok) resolve(message.report);
      else reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the backend probe ended (${signal ?? `code ${code}`}) before answering`));
    });
  });
}
