/**
 * The run supervisor: one training worker process per running run. It starts and stops them,
 * relays their metrics as throttled `run.progress` events (with the time left), and when a
 * worker ends without writing its own end, records why: interrupted if it was killed from
 * outside (it resumes), failed if it crashed.
 */
import type { BackendReport, EventMessage, MetricEvent, RunPlan, RunStatus } from '../contract';
import type { RunStore } from '../store/runs';
import type { HostToWorker, WorkerToHost } from '../train/protocol';
import type { Logger } from './log';
import { forkWorker, type WorkerExit, type WorkerLaunch, type WorkerProcess } from './workers';

export interface RunSupervisorOptions {
  store: RunStore;
  /** The bundled training worker (dist/main/train-worker.js) and how to run it. */
  worker: WorkerLaunch;
  home: string;
  datasetRoots: string[];
  /** Minimum time between two progress events of one run. */
  progressIntervalMs: number;
  logger: Logger;
  emit(message: EventMessage): void;
  /** Each run's worker reports the backend it trains on. */
  onBackend(backend: BackendReport): void;
}

export interface RunSupervisor {
  /** Starts a worker for a run whose run.json is written (queued). */
  start(runId: string, batchSize: number, epochs: number, resume?: boolean): void;
  /** Asks the run's worker to stop at the next step (it checkpoints), SIGKILL after a grace period. */
  stop(runId: string): Promise<void>;
  isRunning(runId: string): boolean;
  running(): string[];
  /** A running run's plan, once its worker has started (null before, and for a run not running here). */
  planOf(runId: string): RunPlan | null;
}

interface ActiveRun {
  worker: WorkerProcess<HostToWorker, WorkerToHost>;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  batchSize: number;
  pending: MetricEvent[];
  timer: NodeJS.Timeout | null;
  lastRelay: number;
  imagesPerSec: number;
  /** From the worker's 'started' message. */
  threads?: number;
  exited: Promise<void>;
}

const STOP_GRACE_MS = 60_000;
/** Signals sent from outside the worker: its run is interrupted (resumable), not failed. */
const INTERRUPTING_SIGNALS: readonly NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP'];

function planOfRun(run: ActiveRun): RunPlan {
  return { epochs: run.epochs, stepsPerEpoch: run.stepsPerEpoch, totalSteps: run.totalSteps, ...(run.threads ? { threads: run.threads } : {}) };
}

export function createRunSupervisor(options: RunSupervisorOptions): RunSupervisor {
  const { store, logger, emit, progressIntervalMs } = options;
  const active = new Map<string, ActiveRun>();

  function relay(runId: string, run: ActiveRun): void {
    run.timer = null;
    run.lastRelay = Date.now();
    const metrics = run.pending.splice(0);
    const last = [...metrics].reverse().find((m) => m.type === 'step') ?? metrics[metrics.length - 1];
    if (!last) return;
    const stepsPerSec = run.imagesPerSec / run.batchSize;
    const remaining = run.totalSteps - last.step;
    emit({
      event: 'run.progress',
      data: {
        runId,
        epoch: last.epoch,
        ...planOfRun(run),
        step: last.step,
        imagesPerSec: run.imagesPerSec,
        etaSeconds: stepsPerSec > 0 ? remaining / stepsPerSec : null,
        metrics,
      },
    });
  }

  function onWorkerMessage(runId: string, run: ActiveRun, message: WorkerToHost): void {
    if (message.type === 'started') {
      options.onBackend(message.backend);
      logger.info({ runId, backend: message.backend.name, passedOver: message.backend.passedOver, totalSteps: message.totalSteps }, 'run started');
      Object.assign(run, { epochs: message.epochs, stepsPerEpoch: message.stepsPerEpoch, totalSteps: message.totalSteps, threads: message.backend.threads });
      emit({ event: 'run.status', data: { runId, status: 'running', error: null } });
    } else if (message.type === 'budget') {
      Object.assign(run, { totalSteps: message.totalSteps, epochs: message.epochs });
      logger.info({ runId, ...message.fit }, 'time budget fitted');
    } else if (message.type === 'metric') {
      if (message.event.type === 'step') {
        // A smoothed rate for the time-left estimate; the per-step figure stays in the metrics.
        run.imagesPerSec = run.imagesPerSec === 0 ? message.event.imagesPerSec : 0.9 * run.imagesPerSec + 0.1 * message.event.imagesPerSec;
      }
      run.pending.push(message.event);
      if (!run.timer) {
        const wait = Math.max(0, progressIntervalMs - (Date.now() - run.lastRelay));
        run.timer = setTimeout(() => relay(runId, run), wait);
      }
    }
  }

  function onWorkerExit(runId: string, run: ActiveRun, { code, signal }: WorkerExit): void {
    if (run.timer) clearTimeout(run.timer);
    relay(runId, run);
    active.delete(runId);
    let status: RunStatus = 'failed';
    let error: string | null = null;
    try {
      const record = store.read(runId);
      if (record.status === 'running' || record.status === 'queued') {
        // The worker died without writing its end. Killed from outside (kill -9, the OOM killer, a
        // closed session): its checkpoints are whole, so the run is interrupted and resumes. A crash
        // of its own (an exit code, SIGSEGV, SIGABRT): failed, with the error text.
        status = signal && INTERRUPTING_SIGNALS.includes(signal) ? 'interrupted' : 'failed';
        error = `the training worker ${run.worker.describeExit({ code, signal })}`;
        store.write({ ...record, status, error, workerPid: null, endedAt: new Date().toISOString() });
      } else {
        status = record.status;
        error = record.error;
      }
    } catch (readError) {
      error = `run.json could not be read after the worker ended: ${(readError as Error).message}`;
    }
    const ended = { runId, status, error, exitCode: code, signal };
    if (status === 'completed' || status === 'stopped') logger.info(ended, 'run ended');
    else logger.error(ended, status === 'failed' ? 'run failed' : 'run interrupted');
    emit({ event: 'run.status', data: { runId, status, error } });
  }

  function startWorker(runId: string, batchSize: number, epochs: number, resume = false): void {
    const worker = forkWorker<HostToWorker, WorkerToHost>(options.worker);
    const run: ActiveRun = {
      worker,
      epochs,
      stepsPerEpoch: 0,
      totalSteps: 0,
      batchSize,
      pending: [],
      timer: null,
      lastRelay: 0,
      imagesPerSec: 0,
      exited: worker.exited.then((exit) => onWorkerExit(runId, run, exit)),
    };
    active.set(runId, run);
    worker.onMessage((message) => onWorkerMessage(runId, run, message));
    worker.send({ type: 'start', home: options.home, runId, datasetRoots: options.datasetRoots, resume });
  }

  async function stopRun(runId: string): Promise<void> {
    const run = active.get(runId);
    if (!run) return;
    await run.worker.stop(STOP_GRACE_MS, { message: { type: 'stop' } });
    await run.exited;
  }

  return {
    start: startWorker,
    stop: stopRun,
    isRunning: (runId) => active.has(runId),
    running: () => [...active.keys()],
    planOf(runId) {
      const run = active.get(runId);
      return run && run.totalSteps > 0 ? planOfRun(run) : null;
    },
  };
}
