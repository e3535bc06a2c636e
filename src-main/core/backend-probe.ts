/**
 * Which backend training would use on this machine, asked of a short-lived child process (the
 * probe loads TF.js and maybe native TensorFlow; the host never does). Asked once, then cached.
 */
import type { BackendReport } from '../contract';
import { forkWorker, type WorkerLaunch } from './workers';

export interface ProbeOptions extends WorkerLaunch {
  timeoutMs?: number;
}

type ProbeReply = { ok: true; report: BackendReport } | { ok: false; error: string };

export function probeBackendInChild(options: ProbeOptions): Promise<BackendReport> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const probe = forkWorker<never, ProbeReply>(options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      probe.child.kill('SIGKILL');
      reject(new Error(`the backend probe gave no answer in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    probe.onMessage((message) => {
      clearTimeout(timer);
      if (message.ok) resolve(message.report);
      else reject(new Error(message.error));
    });
    void probe.exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`the backend probe ${probe.describeExit(exit, 3)} before answering`));
    });
  });
}
