/**
 * Core: the workbench service that implements the contract. Plain Node (no Electron): the Electron
 * main process, `cvb serve` and the `cvb` command line all host the same Workbench.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  parseRequest,
  type BackendReport,
  type EventMessage,
  type MethodName,
  type Result,
  type SystemInfo,
} from '../contract';
import { isProcessAlive, RunStore, toSummary } from '../store/runs';
import { defaultThreads } from '../engine/cores';
import { getModelMeta, listModels } from '../zoo';
import { probeBackendInChild } from './backend-probe';
import { createDatasetService } from './datasets';
import { createExperimentService, type ExperimentService } from './experiments';
import { toApiError, WorkbenchError } from './errors';
import { createInferenceService } from './inference';
import { createJobService } from './jobs';
import { checkModelOptions, modelHandlers } from './models';
import { recipeHandlers } from './recipes';
import { createRunSupervisor } from './run-supervisor';
import { createRunLibrary } from './run-library';
import type { Handlers } from './handlers';
import type { ContractHost } from './host';
import { ANY_HOST_PATH, hostPathsUnder, type HostPathPolicy } from './host-paths';
import { silentLogger, type LogFile, type Logger } from './log';

export interface WorkbenchOptions {
  /** The data folder: runs/, datasets/, settings. */
  home: string;
  /** The app's bundled resources (sample datasets). */
  resourcesDir: string;
  mode: SystemInfo['mode'];
  /** Which host paths requests may name; default: any, except in browser mode (none: uploads only). */
  hostPaths?: HostPathPolicy;
  /** The host's log file (the desktop app, `cvb serve`); Core logs runs, workers and failed requests to it. */
  log?: Pick<LogFile, 'logger' | 'folder' | 'currentFile'>;
  /** Where Electron's crash reporter keeps its dumps (the desktop app). */
  crashDumpsFolder?: string;
  /** The bundled training worker script (dist/main/train-worker.js). */
  workerEntry: string;
  /** Inside Electron: the Electron binary run as Node (with ELECTRON_RUN_AS_NODE=1 in workerEnv). */
  workerExecPath?: string;
  workerEnv?: Record<string, string>;
  version?: string;
  /** Minimum time between two progress events of one run; the UI gets at most ~10 a second. */
  progressIntervalMs?: number;
}

export interface Workbench extends ContractHost {
  readonly store: RunStore;
  close(): Promise<void>;
}

export async function createWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const logger: Logger = options.log?.logger ?? silentLogger;
  logger.info({ home: options.home, mode: options.mode, version: options.version }, 'workbench starting');
  const store = new RunStore(options.home);
  mkdirSync(store.runsDir, { recursive: true });
  store.markInterrupted(isProcessAlive);
  const datasets = createDatasetService(options.home, options.resourcesDir, emit);
  const inference = createInferenceService({
    home: options.home,
    workerEntry: join(dirname(options.workerEntry), 'infer-worker.js'),
    execPath: options.workerExecPath,
    env: options.workerEnv,
    datasetRoots: datasets.locations.roots,
    logger,
  });
  const hostPaths = options.hostPaths ?? (options.mode === 'serve' ? hostPathsUnder([]) : ANY_HOST_PATH);
  const library = createRunLibrary({
    store,
    datasetRoots: datasets.locations.roots,
    workerEntry: options.workerEntry,
    workerExecPath: options.workerExecPath,
    workerEnv: options.workerEnv,
    isRunning: (id) => runs.isRunning(id),
  });
  const listeners = new Set<(message: EventMessage) => void>();
  let experiments: ExperimentService | null = null;
  let lastBackend: BackendReport | null = null;
  const runs = createRunSupervisor({
    store,
    worker: { entry: options.workerEntry, execPath: options.workerExecPath, env: options.workerEnv },
    home: options.home,
    datasetRoots: datasets.locations.roots,
    progressIntervalMs: options.progressIntervalMs ?? 100,
    logger,
    emit,
    onBackend: (backend) => (lastBackend = backend),
  });
  let probe: Promise<BackendReport | null> | null = null;
  /** The backend report of the latest run, else the probe's (asked once, in a child process). */
  function backendReport(): Promise<BackendReport | null> {
    if (lastBackend) return Promise.resolve(lastBackend);
    probe ??= probeBackendInChild({
      entry: join(dirname(options.workerEntry), 'backend-probe.js'),
      execPath: options.workerExecPath,
      env: options.workerEnv,
    }).then(
      (report) => {
        logger.info({ backend: report.name, device: report.device, passedOver: report.passedOver }, 'backend probed');
        return report;
      },
      (error: Error) => {
        logger.warn({ err: error }, 'the backend probe failed');
        return null;
      },
    );
    return probe;
  }

  function emit(message: EventMessage): void {
    experiments?.onEvent(message);
    for (const listener of listeners) {
      try {
        listener(message);
      } catch {
        // One broken listener (a closed socket) must not stop the others.
      }
    }
  }

  experiments = createExperimentService({
    home: options.home,
    runs: store,
    datasets: () => datasets.list(),
    request: (method, params) => request(method, params),
    isRunning: (id) => runs.isRunning(id),
    emit,
    drive: options.mode === 'cli' ? 'own' : 'all',
  });
  const jobs = createJobService({
    store,
    experiments: experiments.store,
    experimentSummary: (id) => experiments!.summary(id),
    locations: datasets.locations,
    exportsDir: join(options.home, 'exports'),
    version: options.version ?? '0.0.0',
  });
  const handlers: Handlers<MethodName> = {
    ...experiments.handlers,
    ...datasets.handlers,
    ...inference.handlers,
    ...library.handlers,
    ...jobs.handlers,
    ...modelHandlers,
    ...recipeHandlers,
    'system.about': () => ({
      versions: {
        app: options.version ?? '0.0.0',
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        chrome: process.versions.chrome ?? null,
        platform: `${process.platform}-${process.arch}`,
      },
      logFile: options.log?.currentFile() ?? null,
      logFolder: options.log?.folder ?? null,
      crashDumpsFolder: options.crashDumpsFolder ?? null,
    }),
    'system.info': async () => ({
      version: options.version ?? '0.0.0',
      platform: `${process.platform}-${process.arch}`,
      home: options.home,
      mode: options.mode,
      backend: await backendReport(),
      defaultThreads: defaultThreads(),
    }),
    'runs.start': async (config) => {
      if (!getModelMeta(config.model)) {
        const known = listModels().map((m) => m.name).join(', ');
        throw new WorkbenchError({ code: 'invalid_request', field: 'model', message: `model: unknown model "${config.model}"; known models: ${known}` });
      }
      const known = await datasets.list();
      const dataset = known.find((d) => d.id === config.dataset);
      if (!dataset) {
        throw new WorkbenchError({
          code: 'invalid_request',
          field: 'dataset',
          message: `dataset: unknown dataset "${config.dataset}"; known datasets: ${known.map((d) => d.id).join(', ') || 'none'}`,
        });
      }
      // Switches are checked against this dataset's input before a worker starts.
      const optionsError = checkModelOptions(config.model, config.modelOptions, dataset.input, dataset.classes.length);
      if (optionsError) throw new WorkbenchError(optionsError);
      const record = store.create(config, { workbench: options.version ?? '0.0.0' });
      runs.start(record.id, config.batchSize, config.epochs);
      return toSummary(record);
    },
    'runs.resume': ({ id }) => {
      const record = store.read(id);
      if (runs.isRunning(id) || record.status === 'running' || record.status === 'queued') {
        throw new WorkbenchError({ code: 'conflict', field: 'id', message: `run "${id}" is already running` });
      }
      if (record.status === 'completed') {
        throw new WorkbenchError({ code: 'conflict', field: 'id', message: `run "${id}" is completed; only stopped, interrupted or failed runs resume` });
      }
      // The worker continues from checkpoints/last (or from the start, with the same seed, if there is none).
      const queued = store.update(id, { status: 'queued', endedAt: null, error: null });
      runs.start(id, record.config.batchSize, record.config.epochs, true);
      return toSummary(queued);
    },
    'runs.stop': async ({ id }) => {
      if (!runs.isRunning(id)) {
        const record = store.read(id);
        throw new WorkbenchError({ code: 'conflict', field: 'id', message: `run "${id}" is not running (it is ${record.status})` });
      }
      await runs.stop(id);
      return toSummary(store.read(id));
    },
    'runs.list': () => store.list(),
    'runs.get': ({ id }) => {
      const record = store.read(id);
      const plan = runs.planOf(id);
      return { ...store.summary(id), config: record.config, metrics: store.readMetrics(id), ...(plan ? { plan } : {}) };
    },
  };

  async function request(method: unknown, params: unknown): Promise<Result<unknown>> {
    const parsed = parseRequest(method, params);
    if (!parsed.ok) return parsed;
    const checked = await hostPaths.check(parsed.method, parsed.params);
    if (!checked.ok) return checked;
    try {
      const handler = handlers[parsed.method] as (params: unknown) => Promise<unknown> | unknown;
      return { ok: true, value: await handler(checked.params) };
    } catch (error) {
      const apiError = toApiError(error);
      // A refusal is the client's business; an internal error is ours and goes to the log with its stack.
      if (apiError.code === 'internal') logger.error({ method: parsed.method, err: error }, 'request failed');
      else logger.info({ method: parsed.method, code: apiError.code, field: apiError.field, message: apiError.message }, 'request refused');
      return { ok: false, error: apiError };
    }
  }

  void experiments.start();
  return {
    store,
    request,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      experiments?.close();
      logger.info({ running: runs.running() }, 'workbench closing');
      datasets.cancelAll();
      await inference.close();
      library.close();
      await Promise.all(runs.running().map((id) => runs.stop(id)));
      listeners.clear();
    },
  };
}
