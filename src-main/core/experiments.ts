/**
 * Core's experiment methods (issue 13): create (checked as a whole before anything is written),
 * list, get with the analysis, stop, resume, extend, delete, the built-in paper experiments and
 * the report. The queue starts the runs through Core's own run methods, so an experiment's runs
 * are ordinary runs, tagged with the experiment's id.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EXPERIMENT_LIMITS,
  type DatasetInfo,
  type EventMessage,
  type ExperimentSummary,
  type MethodName,
  type ParsedRequestOf,
  type Result,
  type RunStatus,
  type TrainConfig,
} from '../contract';
import { analyzeExperiment, experimentStatus, type ReadRun } from '../experiments/analysis';
import { BUILTIN_EXPERIMENTS, builtinInfo } from '../experiments/builtin';
import { armsFromBuiltin, armsFromVary, builtinOrRefuse, ExperimentInputError } from '../experiments/plan';
import { ExperimentQueue } from '../experiments/queue';
import { experimentCsv, experimentHtml } from '../experiments/report';
import { ExperimentNotFoundError, ExperimentStore, InvalidExperimentIdError, type ExperimentArm, type ExperimentRecord } from '../experiments/store';
import { atomicWriteFileSync } from '../store/atomic';
import { isProcessAlive, RunNotFoundError, type RunStore } from '../store/runs';
import type { Handlers } from './handlers';
import { checkModelOptions } from './models';
import { fail, guardedBy, WorkbenchError } from './errors';

const POLL_MS = 3000;

export type ExperimentMethod =
  | 'experiments.list'
  | 'experiments.get'
  | 'experiments.create'
  | 'experiments.stop'
  | 'experiments.resume'
  | 'experiments.extend'
  | 'experiments.delete'
  | 'experiments.builtin'
  | 'experiments.report';

export interface ExperimentServiceOptions {
  home: string;
  runs: RunStore;
  datasets: () => Promise<DatasetInfo[]>;
  /** Core's own door, through which the queue starts, resumes, stops and deletes runs. */
  request(method: MethodName, params: unknown): Promise<Result<unknown>>;
  isRunning(id: string): boolean;
  emit(message: EventMessage): void;
  /** See QueueOptions.drive: the app and `cvb serve` carry on every experiment, the CLI its own. */
  drive: 'all' | 'own';
}

export interface ExperimentService {
  handlers: Handlers<ExperimentMethod>;
  /** The experiments on disk (the import of an experiment's jobs writes one). */
  store: ExperimentStore;
  /** One experiment as `experiments.list` lists it. */
  summary(id: string): ExperimentSummary;
  /** Relays a run's status change to its experiment and moves the queue on. */
  onEvent(message: EventMessage): void;
  /** Starts the queue (at start-up: interrupted runs resume). */
  start(): Promise<void>;
  close(): void;
}

function unwrap<T>(result: Result<unknown>): T {
  if (!result.ok) throw new WorkbenchError(result.error);
  return result.value as T;
}

/** Experiment errors of the lower layer as contract errors; anything else unchanged. */
export function toExperimentError(error: unknown): unknown {
  if (error instanceof ExperimentInputError) return new WorkbenchError(error.error);
  if (error instanceof ExperimentNotFoundError) return new WorkbenchError({ code: 'not_found', field: 'id', message: error.message });
  if (error instanceof InvalidExperimentIdError) return new WorkbenchError({ code: 'invalid_request', field: 'id', message: error.message });
  return error;
}

const guarded = guardedBy(toExperimentError);

export function createExperimentService(options: ExperimentServiceOptions): ExperimentService {
  const store = new ExperimentStore(options.home);
  const exportsDir = join(options.home, 'exports');

  function runStatus(id: string): RunStatus | null {
    if (options.isRunning(id)) return 'running';
    try {
      return options.runs.read(id).status;
    } catch {
      return null;
    }
  }

  const readRun: ReadRun = (id) => {
    const status = runStatus(id);
    if (status === null) return null;
    return { status, metrics: options.runs.readMetrics(id) };
  };

  function summaryOf(record: ExperimentRecord): ExperimentSummary {
    const { base: _base, arms: _arms, difference: _d, differences: _ds, claims: _c, figure: _f, ...summary } = analyzeExperiment(record, readRun);
    return summary;
  }

  function notify(id: string): void {
    try {
      const record = store.read(id);
      const { status, done, total } = experimentStatus(record, runStatus);
      const verdict = status === 'completed' || status === 'failed' ? summaryOf(record).verdict : null;
      options.emit({ event: 'experiment.status', data: { id, status, done, total, verdict } });
    } catch {
      // Deleted meanwhile: nothing to tell.
    }
  }

  const queue = new ExperimentQueue(
    store,
    {
      async start(config, meta) {
        const run = unwrap<{ id: string }>(await options.request('runs.start', config));
        options.runs.updateMeta(run.id, meta);
        return run.id;
      },
      async resume(id) {
        unwrap(await options.request('runs.resume', { id }));
      },
      async stop(id) {
        if (options.isRunning(id)) {
          unwrap(await options.request('runs.stop', { id }));
          return;
        }
        // Another host's worker (an `experiment run` in another terminal): SIGTERM leaves the run
        // interrupted and resumable, as any kill from outside does.
        const pid = options.runs.read(id).workerPid;
        if (pid && isProcessAlive(pid)) process.kill(pid, 'SIGTERM');
      },
      async delete(id) {
        unwrap(await options.request('runs.delete', { id }));
      },
      status: runStatus,
    },
    { drive: options.drive, onChange: notify },
  );

  // Runs of another host (an `experiment run` in another terminal, a worker that outlived its
  // host) send no events here: a look at the disk every few seconds notices their end.
  const seen = new Map<string, string>();
  const poll = setInterval(() => {
    let changed = false;
    for (const record of store.list()) {
      const { status, done } = experimentStatus(record, runStatus);
      const key = `${status}:${done}`;
      if (seen.has(record.id) && seen.get(record.id) !== key) {
        notify(record.id);
        changed = true;
      }
      seen.set(record.id, key);
    }
    if (changed) void queue.tick();
  }, POLL_MS);
  poll.unref();

  /** The configuration behind `base`/`baseRunId`, checked against the model and the dataset. */
  async function baseConfig(request: ParsedRequestOf<'experiments.create'>): Promise<TrainConfig> {
    if (request.base && request.baseRunId) fail({ code: 'invalid_request', field: 'baseRunId', message: 'baseRunId: give a base run or a base configuration, not both' });
    if (request.baseRunId) {
      try {
        return options.runs.read(request.baseRunId).config;
      } catch (error) {
        if (error instanceof RunNotFoundError) fail({ code: 'not_found', field: 'baseRunId', message: `baseRunId: no run with id "${request.baseRunId}"` });
        throw error;
      }
    }
    return request.base ?? fail({ code: 'invalid_request', field: 'base', message: 'base: start from a run (baseRunId) or a configuration (base)' });
  }

  /** Every arm's model, dataset and switches, at the dataset's input, before anything is written. */
  async function checkArms(arms: ExperimentArm[]): Promise<void> {
    const datasets = await options.datasets();
    for (const arm of arms) {
      const dataset = datasets.find((d) => d.id === arm.config.dataset);
      if (!dataset) {
        fail({
          code: 'invalid_request',
          field: 'base.dataset',
          message: `base.dataset: unknown dataset "${arm.config.dataset}"; known datasets: ${datasets.map((d) => d.id).join(', ') || 'none'}`,
        });
      }
      const error = checkModelOptions(arm.config.model, arm.config.modelOptions, dataset!.input, dataset!.classes.length);
      if (error) fail({ code: 'invalid_request', field: 'vary', message: `vary: the arm ${JSON.stringify(arm.value)} does not build: ${error.message}` });
    }
  }

  async function create(request: ParsedRequestOf<'experiments.create'>): Promise<ExperimentSummary> {
    let base: TrainConfig;
    let arms: ExperimentArm[];
    let name: string;
    let builtin: string | null = null;
    let claims: ExperimentRecord['claims'] = [];
    let figure: ExperimentRecord['figure'] = null;
    let vary: ExperimentRecord['vary'];
    if (request.builtin !== undefined) {
      const extra = (['vary', 'base', 'baseRunId'] as const).find((field) => request[field] !== undefined);
      if (extra) fail({ code: 'invalid_request', field: extra, message: `${extra}: a built-in experiment brings its own; leave ${extra} out` });
      const definition = builtinOrRefuse(request.builtin);
      ({ base, arms } = armsFromBuiltin(definition, request.maxSteps));
      ({ name, claims, figure, vary } = { name: definition.name, claims: definition.claims, figure: definition.figure, vary: definition.vary });
      builtin = definition.name;
    } else {
      if (!request.vary) fail({ code: 'invalid_request', field: 'vary', message: 'vary: name a switch or hyperparameter and 2 to 6 values (activation=relu,sigmoid)' });
      base = await baseConfig(request);
      if (request.maxSteps !== undefined) base = { ...base, maxSteps: request.maxSteps };
      arms = armsFromVary(base, request.vary!);
      vary = request.vary!;
      name = request.name ?? `${vary.field}: ${vary.values.map(String).join(' vs ')} (${base.model})`;
    }
    if (request.name) name = request.name;
    await checkArms(arms);
    const record: ExperimentRecord = {
      schemaVersion: 1,
      id: store.newId(),
      name,
      builtin,
      createdAt: new Date().toISOString(),
      state: 'active',
      error: null,
      base,
      vary,
      seeds: request.seeds,
      firstSeed: base.seed,
      metric: request.metric ?? (base.validationFraction > 0 ? 'valAccuracy' : 'trainAccuracy'),
      arms,
      claims,
      figure,
    };
    store.write(record);
    queue.drive(record.id);
    await queue.tick();
    return summaryOf(store.read(record.id));
  }

  function report(id: string, format: 'html' | 'csv', inline: boolean) {
    const detail = analyzeExperiment(store.read(id), readRun);
    mkdirSync(exportsDir, { recursive: true });
    const name = `${id}-report.${format}`;
    const path = join(exportsDir, name);
    atomicWriteFileSync(path, format === 'html' ? experimentHtml(detail) : experimentCsv(detail));
    const data = readFileSync(path);
    return { path, bytes: data.length, ...(inline ? { files: [{ name, data: data.toString('base64') }] } : {}) };
  }

  return {
    store,
    summary: (id) => summaryOf(store.read(id)),
    handlers: {
      'experiments.list': () => store.list().map(summaryOf),
      'experiments.get': guarded(({ id }) => analyzeExperiment(store.read(id), readRun)),
      'experiments.create': guarded(create),
      'experiments.stop': guarded(async ({ id }) => summaryOf(await queue.stop(id))),
      'experiments.resume': guarded(async ({ id }) => {
        await queue.resume(id);
        return summaryOf(store.read(id));
      }),
      'experiments.extend': guarded(async ({ id, seeds }) => {
        const record = store.read(id);
        if (record.seeds + seeds > EXPERIMENT_LIMITS.maxSeeds) {
          fail({ code: 'invalid_request', field: 'seeds', message: `seeds: the experiment has ${record.seeds} seeds; at most ${EXPERIMENT_LIMITS.maxSeeds} in all (received ${seeds} more)` });
        }
        await queue.extend(id, seeds);
        return summaryOf(store.read(id));
      }),
      'experiments.delete': guarded(async ({ id }) => {
        await queue.delete(id);
        return { id };
      }),
      'experiments.builtin': () => BUILTIN_EXPERIMENTS.map((definition) => builtinInfo(definition, EXPERIMENT_LIMITS.defaultSeeds)),
      'experiments.report': guarded(({ id, format, inline }) => report(id, format, inline)),
    },
    onEvent(message) {
      if (message.event !== 'run.status') return;
      const owner = store.list().find((record) => record.arms.some((arm) => arm.runs.includes(message.data.runId)));
      if (!owner) return;
      notify(owner.id);
      if (message.data.status !== 'running') void queue.tick();
    },
    start: () => queue.tick(),
    close() {
      clearInterval(poll);
      queue.close();
    },
  };
}
