/**
 * The one way Core starts a child process: training, inference, evaluation and the backend probe
 * all run in forked Node processes, so a native crash or an out-of-memory kills a worker, not
 * the host. Each keeps the end of its stderr, so a crash can be reported with its last words.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface WorkerLaunch {
  /** The bundled script (dist/main/train-worker.js, infer-worker.js, ...). */
  entry: string;
  /** Inside Electron: the Electron binary run as Node (with ELECTRON_RUN_AS_NODE=1 in `env`). */
  execPath?: string;
  env?: Record<string, string>;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess<Send, Receive> {
  readonly child: ChildProcess;
  /** Settles when the process has ended, whatever the reason. */
  readonly exited: Promise<WorkerExit>;
  /** False once the process ended (or closed its channel). */
  readonly connected: boolean;
  /** Sends if the channel is still open; a message to a dead worker is dropped. */
  send(message: Send): void;
  onMessage(listener: (message: Receive) => void): void;
  /** The last `lines` lines the process wrote to stderr. */
  stderrTail(lines: number): string;
  /** "was killed by SIGKILL: <last lines of stderr>", for the error a caller reports. */
  describeExit(exit: WorkerExit, lines?: number): string;
  /**
   * Asks the process to end (with a message it understands, else SIGTERM), then SIGKILLs it if it
   * has not ended after `graceMs`.
   */
  stop(graceMs: number, ask?: { message: Send }): Promise<WorkerExit>;
}

const STDERR_KEPT_CHARS = 4000;

export function forkWorker<Send, Receive>(launch: WorkerLaunch): WorkerProcess<Send, Receive> {
  const child = fork(launch.entry, [], {
    execPath: launch.execPath,
    env: { ...process.env, ...launch.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Typed arrays and Maps cross the channel as themselves, not as JSON.
    serialization: 'advanced',
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_CHARS);
  });
  child.on('error', (error) => {
    stderr += `\n${error.message}`;
  });
  const exited = new Promise<WorkerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stderrTail = (lines: number) => stderr.trim().split('\n').slice(-lines).join('\n');
  return {
    child,
    exited,
    get connected() {
      return child.connected;
    },
    send(message) {
      if (child.connected) child.send(message as Parameters<ChildProcess['send']>[0]);
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as Receive));
    },
    stderrTail,
    describeExit({ code, signal }, lines = 5) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = stderrTail(lines);
      return tail ? `${how}: ${tail}` : how;
    },
    async stop(graceMs, ask) {
      if (ask && child.connected) child.send(ask.message as Parameters<ChildProcess['send']>[0]);
      else if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') child.kill('SIGKILL');
      return exited;
    },
  };
}
